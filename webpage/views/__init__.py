"""One module per section of the page. Views read a ``Request`` or an ``Explanation`` the fill step has
already filled, and draw widgets; they store nothing in it. What they still compute is for display only: words
or sentences as source units (``Explanation.by_words``/``viewed``) with their agreement, and the server's
cached reads (encoder attention of the layer shown, the timed pass behind a button's cost)."""
