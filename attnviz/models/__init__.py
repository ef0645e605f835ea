"""Model families behind one seam. ``base`` (the ``SummaryModel`` protocol, decoding settings, devices, source
limits) and ``scorer`` (the ``Scorer`` the explainers run on) are what shared code sees; ``folders`` finds
model folders by name; ``loading`` picks the family of a folder. Each family lives in its own folder:
``pointer`` (attnviz's own pointer-generator) and ``hf`` (Hugging Face encoder-decoders)."""
