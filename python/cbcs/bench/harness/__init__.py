"""What the benchmarks and tests measure calls with, kept out of the product packages:
marker tones (markers.py), headless Chromium and its page (chromium.py, web/), the
emulated network in a process of its own (relay.py), stock aiortc peers (stock.py) and the
measured browser call of ``cbcs bench e2e`` (measure.py)."""
