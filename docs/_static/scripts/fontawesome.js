/* Replaces pydata-sphinx-theme's scripts/fontawesome.js (1.5 MB), which redraws every icon the
   theme's CSS already draws with Font Awesome's web fonts, as SVG, after the page has loaded (a
   layout shift). The theme's own fix is pydata/pydata-sphinx-theme#2494 (open; issues #2115,
   #2379): once a release carries it, delete this file (tests/test_book.py notices when the
   theme no longer ships the script this replaces). */
