"""One module per section of the page. Views read an already filled ``Explanation`` (or a ``Request``) and
draw widgets; they compute nothing that is stored."""
