"""Services: the use cases the entry points (server, commands) call. They wire the domain
to the store and the bus through their interfaces and hold no protocol code."""
