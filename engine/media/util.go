package media

import "errors"

func isNotSent(err error) bool { return err == ErrNotSent || errors.Is(err, ErrNotSent) }
