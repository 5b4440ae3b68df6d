package models

import (
	"errors"
	"sort"
	"strings"
)

// Domain errors. The web layer maps them to HTTP statuses in one place.
var (
	ErrNotFound      = errors.New("not found")
	ErrDuplicate     = errors.New("already submitted")
	ErrInvalidState  = errors.New("not allowed in the current state")
	ErrThrottled     = errors.New("too many attempts; try again later")
	ErrCodeWrong     = errors.New("wrong code")
	ErrCodeExpired   = errors.New("code expired or already used")
	ErrCodeLocked    = errors.New("too many wrong codes")
	ErrBadLogin      = errors.New("wrong email or password")
	ErrSetupDone     = errors.New("set-up already completed")
	ErrAlreadyExists = errors.New("already exists")
)

// ValidationError maps form field names to message-catalog keys.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "invalid input: " + strings.Join(keys, ", ")
}

// Add records a problem with field unless one is already recorded.
func (e *ValidationError) Add(field, key string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = key
	}
}

// Err returns e when it holds a problem, else nil.
func (e *ValidationError) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}
