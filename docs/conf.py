# Sphinx configuration: the book's owner expands this.
project = "linreg"
extensions = ["myst_nb"]
html_theme = "sphinx_book_theme"
exclude_patterns = ["_build"]
