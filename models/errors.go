package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"sort"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Kind classifies a domain error; the web layer turns each kind into one
// HTTP status, in one place.
type Kind uint8

const (
	KindInternal     Kind = iota // a bug or an unexpected failure: 500, logged
	KindInvalid                  // bad input: 422, with the message next to the field
	KindNotFound                 // 404
	KindConflict                 // not allowed in the current state, or a duplicate: 409
	KindGone                     // expired or used up: 410
	KindThrottled                // too many attempts: 429
	KindForbidden                // not allowed for this person: 403
	KindUnavailable              // the database cannot answer or write now: 503
	KindUnauthorized             // no credentials, or not valid ones (the API): 401
)

// Error is a domain error: a kind, and a message-catalog key (with
// arguments) that is safe to show to whoever caused it. Err, the cause, is
// for the log only.
type Error struct {
	Kind  Kind
	Key   string
	Args  []any
	Field string // the form field the message belongs next to, if any
	Err   error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Key + ": " + e.Err.Error()
	}
	return e.Key
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches errors of the same kind and key, so a sentinel such as
// ErrNotFound also matches a copy carrying a cause or arguments.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Key == e.Key
}

// with returns a copy of e carrying args.
func (e *Error) with(args ...any) *Error {
	c := *e
	c.Args = args
	return &c
}

// Domain errors shared by several aggregates.
var (
	ErrNotFound     = &Error{Kind: KindNotFound, Key: "error.not_found"}
	ErrDuplicate    = &Error{Kind: KindConflict, Key: "duplicate.message"}
	ErrInvalidState = &Error{Kind: KindConflict, Key: "error.invalid_state"}
	ErrThrottled    = &Error{Kind: KindThrottled, Key: "error.too_many"}
	ErrUnavailable  = &Error{Kind: KindUnavailable, Key: "error.unavailable"}
)

// KindOf classifies any error: domain errors by their kind, validation
// errors as invalid, a database that cannot be reached or written as
// unavailable, anything else as internal.
func KindOf(err error) Kind {
	var de *Error
	var ve *ValidationError
	switch {
	case err == nil:
		return KindInternal
	case errors.As(err, &ve):
		return KindInvalid
	case errors.As(err, &de):
		return de.Kind
	case Unavailable(err):
		return KindUnavailable
	}
	return KindInternal
}

// Unavailable reports whether err means the database is down, restarting,
// out of connections or out of disk: a state that passes, unlike a bug.
func Unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 53: insufficient resources (disk full,
		// out of memory, too many connections); 57P01-03: shutting down or
		// starting up; 25006: read-only transaction (a standby).
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") ||
			pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || pe.Code == "25006"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	var coded interface{ Code() int }
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, driver.ErrBadConn), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ENOSPC), errors.Is(err, context.DeadlineExceeded):
		return true
	case pgconn.SafeToRetry(err) || pgconn.Timeout(err):
		return true
	case errors.As(err, &coded):
		// SQLite primary result codes: BUSY 5, NOMEM 7, READONLY 8,
		// IOERR 10, FULL 13, CANTOPEN 14 (extended codes keep them in
		// the low byte).
		switch coded.Code() & 0xff {
		case 5, 7, 8, 10, 13, 14:
			return true
		}
	}
	return false
}

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

// invalid is a one-field validation error.
func invalid(field, key string) error {
	return &ValidationError{Fields: map[string]string{field: key}}
}
