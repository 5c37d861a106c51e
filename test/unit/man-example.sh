#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the first example (.EX ... .EE) of the EXAMPLES section of a man
# page with its roff escapes undone, so that the code a page documents
# can be compiled and tested as it is printed.
# Usage: test/unit/man-example.sh PAGE > FILE

set -u

page=${1:?usage: man-example.sh PAGE}

code=$(awk '
	/^\.SH / { examples = ($0 == ".SH EXAMPLES") }
	on && /^\.EE/ { exit }
	on { print }
	examples && /^\.EX/ { on = 1 }
' "$page") || exit 1
if [[ -z $code ]]; then
	echo "man-example.sh: no example in $page" >&2
	exit 1
fi
# The escapes the pages use in code: \- is "-", \e is "\", and \& keeps a
# leading "." or "'" from being read as a request.
printf '%s\n' "$code" | sed -e 's/\\-/-/g' -e 's/^\\&//' -e 's/\\e/\\/g'
