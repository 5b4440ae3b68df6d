package public

import "strconv"

func id(n int64) string { return strconv.FormatInt(n, 10) }
