"""attnviz's own pointer-generator family, read in one sitting: ``config`` → ``attention`` and ``minilm``
(encoders) → ``seq2seq`` (the model) → ``vocabulary`` → ``search`` (greedy and beam) → ``summarizer`` (the
``SummaryModel``) and ``scorer`` (the ``Scorer``) → ``counterfactual`` (attention replaced) → ``checkpoint``
and ``train``."""
