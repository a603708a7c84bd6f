//go:build !unix

package dirlock

import (
	"errors"
	"os"
)

var errUnsupported = errors.New("directory locks need flock(2), which this system lacks")

func tryLock(*os.File) (bool, error) { return false, errUnsupported }

func unlock(*os.File) error { return errUnsupported }
