/* Empty: the theme draws its icons with Font Awesome web fonts (its CSS); the 1.6 MB script that redraws them as SVG is not needed. See docs/bookext.py. */
