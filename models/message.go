package models

import (
	"context"
	"errors"
	"io"
	"sort"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/blob"
	"gorm.io/gorm"
)

// Message is one message of a request's thread, between staff and the
// person or their agent. Mail only ever says that one is waiting.
type Message struct {
	ID         int64
	RequestID  int64
	AuthorKind string // "staff", "requester" or "agent"
	StaffID    *int64
	AgentID    *int64
	Body       string
	CreatedAt  time.Time
	ReadAt     *time.Time // when staff read a message from the person or agent
}

// Messages is the aggregate of request threads.
type Messages struct {
	c    *Core
	docs *Documents
}

// NewMessages returns the messages aggregate; attachments go through docs.
func NewMessages(c *Core, docs *Documents) *Messages { return &Messages{c: c, docs: docs} }

// Attachment is a file sent with a message: streamed, checked and stored
// by the upload layer. Name is what the sender called it.
type Attachment struct {
	Name string
	R    io.Reader
}

// StaffTypes are the content types staff may attach (a system's export
// among them); people attach what the upload layer accepts (PDF, PNG, JPEG).
var StaffTypes = []string{blob.PDF, blob.PNG, blob.JPEG, blob.Text, blob.CSV, blob.JSON, blob.ZIP}

// store checks and stores an attachment, or returns nil for none.
func (ms *Messages) store(ctx context.Context, a *Attachment, staff bool) (*blob.Stored, error) {
	if a == nil || a.R == nil {
		return nil, nil
	}
	if staff {
		return ms.docs.putAs(ctx, "messages", a.R, StaffTypes)
	}
	return ms.docs.put(ctx, "messages", a.R)
}

// Send puts a staff message, with an optional attachment, in a request's
// thread, and mails whoever acts for the person that a message waits on
// their page (the mail carries no content).
func (ms *Messages) Send(ctx context.Context, requestID int64, body string, file *Attachment, actor Actor) error {
	body, err := requiredText("message", body)
	if err != nil {
		return err
	}
	stored, err := ms.store(ctx, file, true)
	if err != nil {
		return err
	}
	c := ms.c
	err = c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(requestID)
		if err != nil {
			return err
		}
		return tx.sendMessage(r, body, stored, file, actor)
	})
	if err != nil && stored != nil {
		ms.docs.discard(ctx, stored)
	}
	return err
}

// sendMessage writes a staff message and its notice in tx.
func (t *tx) sendMessage(r *Request, body string, stored *blob.Stored, file *Attachment, actor Actor) error {
	c := t.c
	m := &Message{RequestID: r.ID, AuthorKind: "staff", StaffID: actor.StaffID, Body: body, CreatedAt: c.Now(), ReadAt: ptrTime(c.Now())}
	if err := t.Create(m).Error; err != nil {
		return err
	}
	if stored != nil {
		if _, err := t.insertDocument(stored, OwnerMessage, m.ID, actor, file.Name); err != nil {
			return err
		}
	}
	var sub Submission
	if err := t.Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
		return err
	}
	// The timeline records that a message went; the thread holds it.
	if err := t.event(r.ID, EventMessage, actor, "", "", "", false); err != nil {
		return err
	}
	if err := t.tellRequester(&sub, MailMessage,
		MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: c.trackURLOf(&sub), Right: r.Right}, false); err != nil {
		return err
	}
	return t.audit(actor, "request.message", "request", r.ID, "")
}

// Reply is the person's message from their tracking page, with an
// optional attachment. Where the request waits for the person (the clock
// stopped on a question), the reply answers it and the clock restarts.
func (ms *Messages) Reply(ctx context.Context, token string, requestID int64, body string, file *Attachment, actor Actor) error {
	sub, err := ms.c.byTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	if sub.request(requestID) == nil {
		return ErrNotFound
	}
	return ms.reply(ctx, requestID, body, file, actor)
}

// ReplyAsAgent is an agent's message, from their page of a filing, about
// one of its requests.
func (ms *Messages) ReplyAsAgent(ctx context.Context, agentID, filingID, requestID int64, body string, file *Attachment, actor Actor) error {
	var n int64
	err := ms.c.read(ctx).Table("requests").Joins("JOIN agent_filings ON agent_filings.submission_id = requests.submission_id").
		Where("requests.id = ? AND agent_filings.id = ? AND agent_filings.agent_id = ?", requestID, filingID, agentID).Count(&n).Error
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return ms.reply(ctx, requestID, body, file, actor)
}

func (ms *Messages) reply(ctx context.Context, requestID int64, body string, file *Attachment, actor Actor) error {
	v := &ValidationError{}
	body = text(v, "reply", body, MultiLine, true, MaxNote)
	if err := v.Err(); err != nil {
		return err
	}
	stored, err := ms.store(ctx, file, false)
	if err != nil {
		return err
	}
	c := ms.c
	err = c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(requestID)
		if err != nil {
			return err
		}
		m := &Message{RequestID: r.ID, AuthorKind: actor.Kind, AgentID: actor.AgentID, Body: body, CreatedAt: c.Now()}
		if err := tx.Create(m).Error; err != nil {
			return err
		}
		if stored != nil {
			if _, err := tx.insertDocument(stored, OwnerMessage, m.ID, actor, file.Name); err != nil {
				return err
			}
		}
		if err := tx.event(r.ID, EventReply, actor, "", "", "", false); err != nil {
			return err
		}
		if r.Waiting() {
			// The answer is the message: the clock restarts with it.
			if err := tx.resume(r.ID, "", PauseEndedByAnswer, actor); err != nil {
				return err
			}
		}
		return tx.audit(actor, "request.reply", "request", r.ID, "")
	})
	if err != nil && stored != nil {
		ms.docs.discard(ctx, stored)
	}
	return err
}

// ThreadItem is one entry of a thread as pages show it: a message, or a
// question that stopped the clock, or the answer that restarted it.
type ThreadItem struct {
	At          time.Time
	From        string // "staff", "requester", "agent"
	Body        string
	Question    bool // staff asked something and the clock stood still
	Unread      bool // from the person or agent, not yet read by staff
	Attachments []Document
}

// Thread returns a request's thread, oldest first: its messages with
// their attachments, the questions asked while its clock stood still and
// their answers, and messages sent before threads existed (timeline
// events with a body).
func (ms *Messages) Thread(ctx context.Context, requestID int64) ([]ThreadItem, error) {
	out, err := ms.Threads(ctx, []int64{requestID})
	return out[requestID], err
}

// Threads returns the threads of several requests, by request.
func (ms *Messages) Threads(ctx context.Context, ids []int64) (map[int64][]ThreadItem, error) {
	out := map[int64][]ThreadItem{}
	if len(ids) == 0 {
		return out, nil
	}
	db := ms.c.read(ctx)
	var msgs []Message
	if err := db.Where("request_id IN ?", ids).Order("id").Find(&msgs).Error; err != nil {
		return nil, err
	}
	docs := map[int64][]Document{}
	if len(msgs) > 0 {
		mids := make([]int64, len(msgs))
		for i, m := range msgs {
			mids[i] = m.ID
		}
		var list []Document
		if err := db.Where("owner_kind = ? AND owner_id IN ? AND erased_at IS NULL", OwnerMessage, mids).Order("id").Find(&list).Error; err != nil {
			return nil, err
		}
		for _, d := range list {
			docs[d.OwnerID] = append(docs[d.OwnerID], d)
		}
	}
	for _, m := range msgs {
		out[m.RequestID] = append(out[m.RequestID], ThreadItem{At: m.CreatedAt, From: m.AuthorKind, Body: m.Body,
			Unread: m.AuthorKind != "staff" && m.ReadAt == nil, Attachments: docs[m.ID]})
	}
	var events []Event
	if err := db.Where("request_id IN ? AND internal = ? AND kind IN ? AND body <> ''", ids, false,
		[]string{EventMessage, EventPaused, EventResumed}).Order("id").Find(&events).Error; err != nil {
		return nil, err
	}
	for _, e := range events {
		it := ThreadItem{At: e.CreatedAt, From: e.ActorKind, Body: e.Body, Question: e.Kind == EventPaused}
		if it.From == "system" {
			it.From = "staff"
		}
		out[e.RequestID] = append(out[e.RequestID], it)
	}
	for id := range out {
		items := out[id]
		sort.SliceStable(items, func(a, b int) bool { return items[a].At.Before(items[b].At) })
	}
	return out, nil
}

// MarkRead marks the person's and agent's messages of a request read by
// staff (when a member who works requests opens it).
func (ms *Messages) MarkRead(ctx context.Context, requestID int64) error {
	res := ms.c.read(ctx).Model(&Message{}).Where("request_id = ? AND author_kind <> 'staff' AND read_at IS NULL", requestID).
		Update("read_at", ms.c.Now())
	ms.c.wrote(res.Error)
	return res.Error
}

// Unread reports which of ids have a message from the person or their
// agent that staff have not read (for the queue).
func (ms *Messages) Unread(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var hits []int64
	err := ms.c.read(ctx).Model(&Message{}).Distinct("request_id").
		Where("request_id IN ? AND read_at IS NULL AND author_kind <> 'staff'", ids).Pluck("request_id", &hits).Error
	for _, id := range hits {
		out[id] = true
	}
	return out, err
}

// OpenForPerson returns an attachment of the thread of one of the
// requests of the submission token opens, streamed, after recording the
// download.
func (ms *Messages) OpenForPerson(ctx context.Context, token string, docID int64, actor Actor) (*Document, io.ReadCloser, error) {
	sub, err := ms.c.byTrackingToken(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	var doc Document
	err = ms.c.read(ctx).Table("documents").Select("documents.*").
		Joins("JOIN messages ON messages.id = documents.owner_id").
		Joins("JOIN requests ON requests.id = messages.request_id").
		Where("documents.id = ? AND documents.owner_kind = ? AND requests.submission_id = ?", docID, OwnerMessage, sub.ID).
		Take(&doc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	return ms.docs.stream(ctx, &doc, actor, true)
}
