"""The attnviz page (Streamlit): ``app.py`` calls ``webpage.main.main``.

Each run reads the sidebar (``settings``), builds one ``request.Request`` for the submitted text, fills the
``Explanation`` with what was asked for (``fill``: jobs on the server's job board, ``jobs``), then the views
(``views``) draw it; they only read. ``state`` holds every session key, ``services`` the server's caches.
Nothing under ``attnviz/`` imports streamlit.
"""
