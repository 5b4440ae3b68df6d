package public

import (
	"strconv"
	"strings"
)

func id(n int64) string { return strconv.FormatInt(n, 10) }

// joinWords lists names for a sentence.
func joinWords(s []string) string { return strings.Join(s, ", ") }
