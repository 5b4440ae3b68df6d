package public

import (
	"time"

	"github.com/rightsdesk/rightsdesk/templates/components"
)

// TrackMessage is one message between the person (or their agent) and
// the organization.
type TrackMessage struct {
	At       time.Time
	From     string
	Mine     bool // from the person or their agent
	About    string
	Body     string
	Question bool // the organization asked something: it waits for the person
	Files    []TrackFile
}

// TrackFile is a file sent with a message.
type TrackFile struct {
	Name, URL, Size string
}

// TrackPackage is a copy of the person's data.
type TrackPackage struct {
	ID      int64
	About   string
	Expires time.Time
	Live    bool
}

// TrackCorrection is one item the person asked to correct.
type TrackCorrection struct {
	Item, Wrong, Correct string
	Decision             string // in words; "" = not decided yet
	Reason               string
}

func anyLive(list []TrackPackage) bool { return livePackages(list) > 0 }

func livePackages(list []TrackPackage) int {
	n := 0
	for _, p := range list {
		if p.Live {
			n++
		}
	}
	return n
}

func firstLive(list []TrackPackage) string {
	for _, p := range list {
		if p.Live {
			return id(p.ID)
		}
	}
	return ""
}

func packageOptions(list []TrackPackage) []components.Option {
	var out []components.Option
	for _, p := range list {
		if p.Live {
			out = append(out, components.Option{Value: id(p.ID), Label: p.About})
		}
	}
	return out
}
