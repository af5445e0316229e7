"""Demo data: a seller to try the service with (``cbcs demo-shop``)."""
