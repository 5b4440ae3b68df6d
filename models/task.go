package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/blob"
	"github.com/rightsdesk/rightsdesk/internal/webhook"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Task is one data system's part of a verified request: assigned to a
// member of staff, done, "no data found", not applicable or (for data
// passed on to others) impossible, each with a note; or answered by the
// system itself through its webhook's callback.
type Task struct {
	ID               int64
	RequestID        int64
	SystemID         int64
	Status           string
	AssigneeID       *int64
	Note             string
	Round            int    // webhook rounds sent; each has its own callback token
	CallbackHash     string // the live round's token, hashed; "" = none
	CallbackUsedAt   *time.Time
	ResultDocumentID *int64 // what the system returned for an access request
	ResultRecords    int
	ClosedByKind     string
	ClosedByID       *int64
	OpenedAt         time.Time
	UpdatedAt        time.Time
	ClosedAt         *time.Time
}

// Task statuses. Open and failed tasks are open.
const (
	TaskOpen          = "open"
	TaskFailed        = "failed" // the system answered that it failed: staff decide what next
	TaskDone          = "done"   // for data passed on: the holder was told
	TaskNoData        = "no_data"
	TaskNotApplicable = "not_applicable"
	TaskImpossible    = "impossible" // passing the request on was impossible or disproportionate (reason in the note)
	TaskOverridden    = "overridden" // closed when an administrator completed the request with it open
)

// taskOpenSQL lists the open task statuses, spelled out for the partial index.
const taskOpenSQL = "('open', 'failed')"

// TaskOutcomes are the statuses staff may set by hand.
var TaskOutcomes = []string{TaskDone, TaskNoData, TaskNotApplicable, TaskImpossible}

// Open reports whether the task still needs doing.
func (t *Task) Open() bool { return t.Status == TaskOpen || t.Status == TaskFailed }

// Rights whose systems may return the person's data with their answer.
func takesRecords(right string) bool { return right == "access" || right == "portability" }

// Task errors.
var (
	ErrTaskRequestClosed = &Error{Kind: KindConflict, Key: "error.task.request_closed", Field: "task_status"}
	ErrTaskNote          = &Error{Kind: KindInvalid, Key: "error.task_note.required", Field: "task_note"}
	ErrTaskImpossible    = &Error{Kind: KindInvalid, Key: "error.task.impossible_internal", Field: "task_status"}
	ErrTaskNoWebhook     = &Error{Kind: KindConflict, Key: "error.task.no_webhook", Field: "task_status"}
	ErrTasksOpen         = &Error{Kind: KindConflict, Key: "error.tasks_open", Field: "status"}
	ErrOverrideForbidden = &Error{Kind: KindForbidden, Key: "error.override.forbidden", Field: "override"}
	// Callbacks from a system.
	ErrCallbackUsed      = &Error{Kind: KindConflict, Key: "error.callback.used"}
	ErrCallbackSignature = &Error{Kind: KindUnauthorized, Key: "error.callback.signature"}
	ErrCallbackBody      = &Error{Kind: KindInvalid, Key: "error.callback.body"}
	ErrCallbackRecords   = &Error{Kind: KindInvalid, Key: "error.callback.records"}
)

// Tasks is the aggregate of fulfilment tasks.
type Tasks struct {
	c    *Core
	docs *Documents
}

// NewTasks returns the tasks aggregate; results are stored through docs.
func NewTasks(c *Core, docs *Documents) *Tasks { return &Tasks{c: c, docs: docs} }

// openTasks makes the checklist of a request that became verified: a
// task per live system in scope for its right, assigned to the system's
// owner, each system with a webhook sent a signed job. Running it twice
// makes nothing twice (a task per request and system).
func (t *tx) openTasks(r *Request) error {
	if r.Kind != KindRequest {
		return nil
	}
	systems, err := t.systemsInScope(r.Right, false)
	if err != nil || len(systems) == 0 {
		return err
	}
	now := t.c.Now()
	var sub *Submission
	opened := 0
	for i := range systems {
		s := &systems[i]
		task := &Task{RequestID: r.ID, SystemID: s.ID, Status: TaskOpen, AssigneeID: s.OwnerStaffID, OpenedAt: now, UpdatedAt: now}
		res := t.Clauses(clause.OnConflict{DoNothing: true}).Create(task)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			continue
		}
		opened++
		if !s.Hooked() {
			continue
		}
		if sub == nil {
			sub = &Submission{}
			if err := t.Where("id = ?", r.SubmissionID).Take(sub).Error; err != nil {
				return err
			}
		}
		if err := t.sendTask(task, s, r, sub); err != nil {
			return err
		}
	}
	if opened == 0 {
		return nil
	}
	return t.event(r.ID, EventTasksOpened, SystemActor, "", "", strconv.Itoa(opened), true)
}

// systemsInScope lists the live systems in scope for right, by id; only
// those with a webhook when hooked is set.
func (t *tx) systemsInScope(right string, hooked bool) ([]DataSystem, error) {
	var systems []DataSystem
	q := t.Table("data_systems").Select("data_systems.*").
		Joins("JOIN data_system_rights ON data_system_rights.system_id = data_systems.id").
		Where("data_system_rights.right_code = ? AND data_systems.archived_at IS NULL", right)
	if hooked {
		q = q.Where("data_systems.webhook_url <> ''")
	}
	err := q.Order("data_systems.id").Find(&systems).Error
	return systems, err
}

// TaskJob is the body of the signed call a system's webhook receives when
// its task opens (or is sent again).
type TaskJob struct {
	Type    string         `json:"type"` // "task.opened"
	TaskID  int64          `json:"task_id"`
	Round   int            `json:"round"`
	System  string         `json:"system"`
	Request TaskJobRequest `json:"request"`
	Person  TaskJobPerson  `json:"person"`
	// Identifier is whom a privacy choice's request is for, as the
	// organization knows them (an e-mail address, a phone number, its own
	// customer or visitor id): a choice made on the choices page, by the
	// GPC signal, by one-click or in the preference centre may carry no
	// name or address. Absent for other requests.
	Identifier *ChoiceIdentifier `json:"identifier,omitempty"`
	// Callback is where the system answers, signed with the same key,
	// once: {"outcome": "done" | "no_data" | "failed", "note": "…",
	// "records": [{…}, …]} (records only for access and portability).
	Callback TaskJobCallback `json:"callback"`
}

// TaskJobRequest says what the person asked.
type TaskJobRequest struct {
	Reference    string    `json:"reference"`
	Right        string    `json:"right"`
	Jurisdiction string    `json:"jurisdiction"`
	ReceivedAt   time.Time `json:"received_at"`
	DueAt        time.Time `json:"due_at"`
}

// TaskJobPerson is who the request is about, to find them in the system.
type TaskJobPerson struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
	// Address is the postal address, for a person with no e-mail who
	// wrote a letter (Submission.NoEmail); absent otherwise.
	Address string `json:"address,omitempty"`
}

// TaskJobCallback is how to answer.
type TaskJobCallback struct {
	URL      string   `json:"url"`
	Outcomes []string `json:"outcomes"`
	Records  bool     `json:"records"` // whether the answer may carry the person's records
}

// Callback outcomes a system may answer.
var CallbackOutcomes = []string{TaskDone, TaskNoData, TaskFailed}

// sendTask starts a new webhook round for a task: a fresh callback token
// (the previous one stops working) and the signed job, queued in this
// transaction and superseding a round not yet delivered.
func (t *tx) sendTask(task *Task, s *DataSystem, r *Request, sub *Submission) error {
	token := newToken()
	round := task.Round + 1
	now := t.c.Now()
	res := t.Model(&Task{}).Where("id = ? AND round = ?", task.ID, task.Round).
		Updates(map[string]any{"round": round, "callback_hash": t.c.hash("task-callback", token), "callback_used_at": nil, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrInvalidState
	}
	task.Round = round
	job := TaskJob{Type: "task.opened", TaskID: task.ID, Round: round, System: s.Name,
		Request: TaskJobRequest{Reference: sub.Reference, Right: r.Right, Jurisdiction: r.Jurisdiction, ReceivedAt: r.ReceivedAt.UTC(), DueAt: r.DueAt.UTC()},
		Person:  TaskJobPerson{Name: sub.Name, Email: sub.Email, Phone: sub.Phone, Address: sub.Address},
		Callback: TaskJobCallback{URL: t.c.BaseURL + "/hooks/tasks/" + token, Outcomes: CallbackOutcomes,
			Records: takesRecords(r.Right)}}
	if IsChoice(r.Right) {
		id, err := t.choiceIdentifier(r.ID)
		if err != nil {
			return err
		}
		job.Identifier = id
	}
	body, err := json.Marshal(job)
	if err != nil {
		return err
	}
	return t.enqueueSigned(JobTaskWebhook, taskDedupe(task.ID), http.MethodPost, s.WebhookURL,
		map[string]string{"Content-Type": "application/json"}, body, "system:"+strconv.FormatInt(s.ID, 10))
}

func taskDedupe(id int64) string { return "task:" + strconv.FormatInt(id, 10) }

// sign signs a call as it leaves, with the current key of the system that
// signer names, and sends it to the system's current address; false when
// the system or its webhook is gone.
func (c *Core) sign(db *gorm.DB, signer string, j *webhook.Job, now time.Time) (bool, error) {
	idText, ok := strings.CutPrefix(signer, "system:")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil {
		return false, nil
	}
	var s DataSystem
	err = db.Where("id = ? AND archived_at IS NULL", id).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	key, ok := c.unseal("webhook", s.WebhookSecret)
	if !ok || s.WebhookURL == "" {
		return false, nil
	}
	j.URL = s.WebhookURL
	webhook.Sign(j.Header, s.WebhookKeyID, []byte(key), now, j.Body)
	return true, nil
}

// TaskUpdate is staff's change to a task: an outcome (or "open" to reopen
// it), a note, an assignee. Empty Status leaves the status as it is;
// KeepNote and KeepAssignee leave the note and the assignee as they are
// (a partial change, as the API sends), whatever Note and AssigneeID say.
type TaskUpdate struct {
	Status       string
	Note         string
	AssigneeID   int64 // 0 = nobody
	KeepNote     bool
	KeepAssignee bool
}

// Update records staff's work on a task. The request is locked first, as
// completing it locks it, so a task cannot close or reopen around a
// completion: whichever commits first, the other sees it.
func (ts *Tasks) Update(ctx context.Context, id int64, u TaskUpdate, actor Actor) error {
	v := &ValidationError{}
	u.Note = text(v, "task_note", u.Note, MultiLine, false, MaxNote)
	if u.Status != "" && u.Status != TaskOpen && !contains(TaskOutcomes, u.Status) {
		v.Add("task_status", "error.task_status.required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	c := ts.c
	return c.write(ctx, func(tx *tx) error {
		task, sys, r, err := tx.lockTask(id)
		if err != nil {
			return err
		}
		if r.Closed() {
			return ErrTaskRequestClosed
		}
		now := c.Now()
		set := map[string]any{"updated_at": now}
		if u.KeepNote {
			u.Note = task.Note
		} else {
			set["note"] = u.Note
		}
		switch {
		case u.KeepAssignee:
		case u.AssigneeID != 0:
			var st Staff
			err := tx.Where("id = ? AND disabled_at IS NULL", u.AssigneeID).Take(&st).Error
			if errors.Is(err, gorm.ErrRecordNotFound) || err == nil && !CanWork(st.Role) {
				return invalid("assignee", "error.assignee.invalid")
			}
			if err != nil {
				return err
			}
			set["assignee_id"] = st.ID
		default:
			set["assignee_id"] = nil
		}
		detail := "assign"
		switch {
		case u.Status == "" || u.Status == task.Status:
		case u.Status == TaskOpen:
			set["status"], set["closed_at"], set["closed_by_kind"], set["closed_by_id"] = TaskOpen, nil, "", nil
			detail = TaskOpen
		default:
			if (u.Status == TaskNotApplicable || u.Status == TaskImpossible) && u.Note == "" {
				return ErrTaskNote
			}
			if u.Status == TaskImpossible && !sys.PassedOn() {
				return ErrTaskImpossible
			}
			set["status"], set["closed_at"], set["closed_by_kind"], set["closed_by_id"] = u.Status, now, actor.Kind, actor.StaffID
			detail = u.Status
		}
		if err := tx.Model(&Task{}).Where("id = ?", task.ID).Updates(set).Error; err != nil {
			return err
		}
		if detail != "assign" {
			if err := tx.event(r.ID, EventTask, actor, task.Status, detail, sys.Name+taskNote(u.Note), true); err != nil {
				return err
			}
		}
		return tx.audit(actor, "task."+detail, "task", task.ID, "system="+strconv.FormatInt(sys.ID, 10))
	})
}

func taskNote(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}

// Resend sends a task to its system's webhook again (a new round, with a
// new callback token), reopening it if the system had answered "failed".
func (ts *Tasks) Resend(ctx context.Context, id int64, actor Actor) error {
	c := ts.c
	return c.write(ctx, func(tx *tx) error {
		task, sys, r, err := tx.lockTask(id)
		if err != nil {
			return err
		}
		if r.Closed() {
			return ErrTaskRequestClosed
		}
		if !sys.Hooked() || sys.ArchivedAt != nil {
			return ErrTaskNoWebhook
		}
		var sub Submission
		if err := tx.Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
			return err
		}
		if err := tx.Model(&Task{}).Where("id = ?", task.ID).Updates(map[string]any{"status": TaskOpen, "closed_at": nil,
			"closed_by_kind": "", "closed_by_id": nil}).Error; err != nil {
			return err
		}
		if err := tx.sendTask(task, sys, r, &sub); err != nil {
			return err
		}
		if err := tx.event(r.ID, EventTask, actor, task.Status, "resent", sys.Name, true); err != nil {
			return err
		}
		return tx.audit(actor, "task.resend", "task", task.ID, "round="+strconv.Itoa(task.Round))
	})
}

// lockTask loads a task with its system, after locking its request.
func (t *tx) lockTask(id int64) (*Task, *DataSystem, *Request, error) {
	if id <= 0 {
		return nil, nil, nil, ErrNotFound
	}
	var task Task
	err := t.Where("id = ?", id).Take(&task).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := t.lockRequest(task.RequestID)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := t.forUpdate().Where("id = ?", id).Take(&task).Error; err != nil {
		return nil, nil, nil, err
	}
	var sys DataSystem
	if err := t.Where("id = ?", task.SystemID).Take(&sys).Error; err != nil {
		return nil, nil, nil, err
	}
	return &task, &sys, r, nil
}

// TaskView is a task as the request page shows it.
type TaskView struct {
	Task
	System     DataSystem
	Result     *Document
	Deliveries []Delivery
}

// ForRequest lists a request's tasks, by system name, each with its system,
// its result and its webhook deliveries.
func (ts *Tasks) ForRequest(ctx context.Context, requestID int64) ([]TaskView, error) {
	db := ts.c.read(ctx)
	var tasks []Task
	if err := db.Where("request_id = ?", requestID).Order("id").Find(&tasks).Error; err != nil {
		return nil, err
	}
	if len(tasks) == 0 {
		return nil, nil
	}
	out := make([]TaskView, len(tasks))
	var sysIDs, docIDs []int64
	keys := make([]string, len(tasks))
	for i, t := range tasks {
		out[i].Task = t
		sysIDs = append(sysIDs, t.SystemID)
		if t.ResultDocumentID != nil {
			docIDs = append(docIDs, *t.ResultDocumentID)
		}
		keys[i] = taskDedupe(t.ID)
	}
	var systems []DataSystem
	if err := db.Where("id IN ?", sysIDs).Find(&systems).Error; err != nil {
		return nil, err
	}
	if err := loadRights(db, systems); err != nil {
		return nil, err
	}
	byID := map[int64]DataSystem{}
	for _, s := range systems {
		byID[s.ID] = s
	}
	docs := map[int64]Document{}
	if len(docIDs) > 0 {
		var list []Document
		if err := db.Where("id IN ?", docIDs).Find(&list).Error; err != nil {
			return nil, err
		}
		for _, d := range list {
			docs[d.ID] = d
		}
	}
	var jobs []HTTPJob
	if err := db.Where("kind = ? AND dedupe_key IN ?", JobTaskWebhook, keys).Order("id").Find(&jobs).Error; err != nil {
		return nil, err
	}
	deliveries, err := withAttempts(db, jobs)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].System = byID[out[i].SystemID]
		if id := out[i].ResultDocumentID; id != nil {
			if d, ok := docs[*id]; ok {
				out[i].Result = &d
			}
		}
		for _, d := range deliveries {
			if d.DedupeKey == keys[i] {
				out[i].Deliveries = append(out[i].Deliveries, d)
			}
		}
	}
	return out, nil
}

// CallbackResult is what a system's answer did.
type CallbackResult struct {
	TaskID  int64
	Status  string
	Records int
}

// Callback records a system's answer to its task, from the callback URL
// the job gave it. The call must be signed with the system's current key
// (the timestamp is checked before the body is read); the body streams
// through the signature check and, where the right takes the person's
// records, into encrypted storage, never whole in memory. The token
// answers once: of two answers, one is recorded and the other refused.
func (ts *Tasks) Callback(ctx context.Context, token string, h http.Header, body io.Reader) (*CallbackResult, error) {
	c := ts.c
	if !validToken(token) {
		return nil, ErrNotFound
	}
	db := c.read(ctx)
	var task Task
	err := db.Where("callback_hash = ?", c.hash("task-callback", token)).Take(&task).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if task.CallbackUsedAt != nil || !task.Open() {
		return nil, ErrCallbackUsed
	}
	var sys DataSystem
	var r Request
	if err := db.Where("id = ?", task.SystemID).Take(&sys).Error; err != nil {
		return nil, err
	}
	if err := db.Where("id = ?", task.RequestID).Take(&r).Error; err != nil {
		return nil, err
	}
	key, ok := c.unseal("webhook", sys.WebhookSecret)
	if !ok || sys.WebhookURL == "" {
		return nil, ErrCallbackSignature
	}
	ts0, err := webhook.Timestamp(h, now())
	if err != nil {
		return nil, &Error{Kind: ErrCallbackSignature.Kind, Key: ErrCallbackSignature.Key, Err: err}
	}
	verifier, err := webhook.NewVerifier(h, sys.WebhookKeyID, []byte(key), ts0)
	if err != nil {
		return nil, &Error{Kind: ErrCallbackSignature.Kind, Key: ErrCallbackSignature.Key, Err: err}
	}
	// Everything read from the body passes the signature check; records
	// also go to storage, as received, when the right takes them.
	var store *blob.Writer
	in := io.TeeReader(body, verifier)
	if takesRecords(r.Right) {
		store, err = ts.docs.store.NewWriter(ctx, "task-results", blob.JSON, ts.docs.store.MaxSize)
		if err != nil {
			return nil, &Error{Kind: KindUnavailable, Key: ErrUploadStorage.Key, Err: err}
		}
		in = io.TeeReader(in, store)
	}
	abort := func(err error) (*CallbackResult, error) {
		if store != nil {
			store.Abort()
		}
		return nil, err
	}
	ans, perr := parseAnswer(in)
	// The rest of the body is read too, so that the signature covers all of it.
	if _, err := io.Copy(io.Discard, in); err != nil && perr == nil {
		perr = err
	}
	if err := verifier.Check(); err != nil {
		return abort(&Error{Kind: ErrCallbackSignature.Kind, Key: ErrCallbackSignature.Key, Err: err})
	}
	if perr != nil {
		if errors.Is(perr, blob.ErrWriterLimit) {
			return abort(&Error{Kind: KindInvalid, Key: "error.upload.too_large", Args: []any{ts.docs.store.MaxSize >> 20}, Err: perr})
		}
		var de *Error
		if errors.As(perr, &de) {
			return abort(perr)
		}
		return abort(&Error{Kind: ErrCallbackBody.Kind, Key: ErrCallbackBody.Key, Err: perr})
	}
	if ans.records > 0 && (!takesRecords(r.Right) || ans.Outcome != TaskDone) {
		return abort(ErrCallbackRecords)
	}
	var stored *blob.Stored
	if store != nil {
		if ans.records == 0 {
			store.Abort()
		} else if stored, err = store.Close(); err != nil {
			return nil, &Error{Kind: KindUnavailable, Key: ErrUploadStorage.Key, Err: err}
		}
	}
	discard := func() {
		if stored != nil {
			ts.docs.discard(ctx, stored)
		}
	}
	var replaced *Document
	out := &CallbackResult{TaskID: task.ID, Status: ans.Outcome, Records: ans.records}
	err = c.write(ctx, func(tx *tx) error {
		req, err := tx.lockRequest(task.RequestID)
		if err != nil {
			return err
		}
		if req.Closed() {
			return ErrCallbackUsed
		}
		now := c.Now()
		set := map[string]any{"status": ans.Outcome, "callback_used_at": now, "note": ans.Note, "updated_at": now,
			"result_records": ans.records}
		if ans.Outcome != TaskFailed {
			set["closed_at"], set["closed_by_kind"], set["closed_by_id"] = now, "system", sys.ID
		}
		var doc *Document
		if stored != nil {
			doc, err = tx.insertDocument(stored, OwnerTaskResult, task.ID, SystemActor, slug(sys.Name)+".json")
			if err != nil {
				return err
			}
			set["result_document_id"] = doc.ID
			if task.ResultDocumentID != nil {
				replaced = &Document{ID: *task.ResultDocumentID}
			}
		}
		res := tx.Model(&Task{}).Where("id = ? AND callback_hash = ? AND callback_used_at IS NULL AND status IN "+taskOpenSQL,
			task.ID, task.CallbackHash).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrCallbackUsed
		}
		body := sys.Name + taskNote(ans.Note)
		if ans.records > 0 {
			body += " (" + strconv.Itoa(ans.records) + ")"
		}
		if err := tx.event(req.ID, EventTask, SystemActor, task.Status, ans.Outcome, body, true); err != nil {
			return err
		}
		return tx.audit(Actor{Kind: "system"}, "task.callback", "task", task.ID,
			fmt.Sprintf("system=%d outcome=%s records=%d", sys.ID, ans.Outcome, ans.records))
	})
	if err != nil {
		discard()
		return nil, err
	}
	if replaced != nil {
		// The earlier round's records are replaced: erased now.
		if err := ts.docs.Erase(context.WithoutCancel(ctx), replaced.ID, SystemActor); err != nil && !errors.Is(err, ErrNotFound) {
			c.logger().Error("a replaced task result could not be erased", "err", err)
		}
	}
	return out, nil
}

// answer is a system's parsed answer.
type answer struct {
	Outcome string
	Note    string
	records int
}

// parseAnswer reads {"outcome": …, "note": …, "records": [{…}, …]} as a
// stream: each record is checked to be an object and counted, never
// kept. Other members are skipped.
func parseAnswer(r io.Reader) (*answer, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, ErrCallbackBody
	}
	a := &answer{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		switch name {
		case "outcome", "note":
			var s string
			if err := dec.Decode(&s); err != nil {
				return nil, ErrCallbackBody
			}
			if name == "outcome" {
				a.Outcome = s
			} else {
				a.Note = s
			}
		case "records":
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return nil, ErrCallbackRecords
			}
			for dec.More() {
				var rec map[string]json.RawMessage
				if err := dec.Decode(&rec); err != nil {
					return nil, ErrCallbackRecords
				}
				a.records++
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ErrCallbackBody
	}
	if !contains(CallbackOutcomes, a.Outcome) {
		return nil, ErrCallbackBody
	}
	v := &ValidationError{}
	a.Note = text(v, "task_note", a.Note, MultiLine, false, MaxNote)
	if v.Err() != nil {
		return nil, ErrCallbackBody
	}
	return a, nil
}

// slug makes a file name of a system's name.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if s == "" {
		s = "system"
	}
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

// openTaskCount counts a request's open tasks, inside a transaction.
func (t *tx) openTaskCount(requestID int64) (int, error) {
	var n int64
	err := t.Model(&Task{}).Where("request_id = ? AND status IN "+taskOpenSQL, requestID).Count(&n).Error
	return int(n), err
}

// closeTasksWith closes a request's open tasks when it ends other than by
// completion (denied, withdrawn, merged): there is nothing left to do.
func (t *tx) closeTasksWith(requestID int64, status string) error {
	now := t.c.Now()
	var open []Task
	if err := t.Where("request_id = ? AND status IN "+taskOpenSQL, requestID).Order("id").Find(&open).Error; err != nil || len(open) == 0 {
		return err
	}
	ids, keys := make([]int64, len(open)), make([]string, len(open))
	for i, task := range open {
		ids[i], keys[i] = task.ID, taskDedupe(task.ID)
	}
	// A task's job not yet sent is not sent at all: a system must not be
	// asked to act on a request already closed (an opt-out withdrawn by
	// opting back in would otherwise reach it after the change that
	// undid it).
	if err := t.Model(&HTTPJob{}).Where("kind = ? AND dedupe_key IN ? AND status = ?", JobTaskWebhook, keys, "pending").
		Update("status", "superseded").Error; err != nil {
		return err
	}
	if err := t.cancelSentTasks(requestID, open, keys, status); err != nil {
		return err
	}
	return t.Model(&Task{}).Where("id IN ? AND status IN "+taskOpenSQL, ids).
		Updates(map[string]any{"status": TaskNotApplicable, "note": "", "closed_at": now, "closed_by_kind": "system:" + status,
			"updated_at": now}).Error
}

// TaskCancel tells a system that a task it was sent is no longer wanted:
// the request was withdrawn, denied or merged before the system answered.
type TaskCancel struct {
	Type      string `json:"type"` // "task.cancelled"
	TaskID    int64  `json:"task_id"`
	Round     int    `json:"round"`
	System    string `json:"system"`
	Reference string `json:"reference"`
	Reason    string `json:"reason"` // the request's new status: withdrawn, denied or merged
}

// cancelSentTasks tells each system already sent (or being sent) one of
// the open tasks (with their keys) that the request ended with status: a
// deletion withdrawn must not go ahead. The call has the task's key, so it
// follows the task's own call and never overtakes it.
func (t *tx) cancelSentTasks(requestID int64, open []Task, keys []string, status string) error {
	var sent []string
	if err := t.Model(&HTTPJob{}).Where("kind = ? AND dedupe_key IN ? AND status IN ?", JobTaskWebhook, keys, []string{"sent", "sending"}).
		Distinct("dedupe_key").Pluck("dedupe_key", &sent).Error; err != nil || len(sent) == 0 {
		return err
	}
	var ref string
	if err := t.Table("submissions").Joins("JOIN requests ON requests.submission_id = submissions.id").
		Where("requests.id = ?", requestID).Pluck("submissions.reference", &ref).Error; err != nil {
		return err
	}
	systemIDs := make([]int64, len(open))
	for i, task := range open {
		systemIDs[i] = task.SystemID
	}
	var systems []DataSystem
	if err := t.Where("id IN ? AND webhook_url <> '' AND archived_at IS NULL", systemIDs).Find(&systems).Error; err != nil {
		return err
	}
	for _, task := range open {
		i := slices.IndexFunc(systems, func(s DataSystem) bool { return s.ID == task.SystemID })
		if i < 0 || !contains(sent, taskDedupe(task.ID)) {
			continue
		}
		s := systems[i]
		body, err := json.Marshal(TaskCancel{Type: "task.cancelled", TaskID: task.ID, Round: task.Round, System: s.Name, Reference: ref, Reason: status})
		if err != nil {
			return err
		}
		if err := t.enqueueSigned(JobTaskWebhook, taskDedupe(task.ID), http.MethodPost, s.WebhookURL,
			map[string]string{"Content-Type": "application/json"}, body, "system:"+strconv.FormatInt(s.ID, 10)); err != nil {
			return err
		}
	}
	return nil
}

// ErrCorrectionsPending: an item the person asked to correct has no
// decision yet.
var ErrCorrectionsPending = &Error{Kind: KindConflict, Key: "error.corrections_pending", Field: "status"}

// checkFulfilled decides, inside the transaction that completes r, whether
// it may be completed: not while a task is open, unless an administrator
// overrides with a reason (the open tasks then close as overridden, with
// the reason), and not while an item to correct waits for a decision. It
// returns the override reason used ("" when none was needed).
func (t *tx) checkFulfilled(r *Request, tr Transition, actor Actor) (string, error) {
	var pending int64
	if err := t.Model(&CorrectionItem{}).Where("request_id = ? AND decision = ''", r.ID).Count(&pending).Error; err != nil {
		return "", err
	}
	if pending > 0 {
		return "", ErrCorrectionsPending.with(int(pending))
	}
	n, err := t.openTaskCount(r.ID)
	if err != nil || n == 0 {
		return "", err
	}
	if tr.Override == "" {
		return "", ErrTasksOpen.with(n)
	}
	if actor.StaffID == nil {
		return "", ErrOverrideForbidden
	}
	var st Staff
	if err := t.Where("id = ?", *actor.StaffID).Take(&st).Error; err != nil {
		return "", err
	}
	if !CanOverride(st.Role) {
		return "", ErrOverrideForbidden
	}
	now := t.c.Now()
	if err := t.Model(&Task{}).Where("request_id = ? AND status IN "+taskOpenSQL, r.ID).
		Updates(map[string]any{"status": TaskOverridden, "note": tr.Override, "closed_at": now, "closed_by_kind": actor.Kind,
			"closed_by_id": st.ID, "updated_at": now}).Error; err != nil {
		return "", err
	}
	if err := t.event(r.ID, EventOverride, actor, "", "", tr.Override, true); err != nil {
		return "", err
	}
	return tr.Override, t.audit(actor, "request.override", "request", r.ID, "open_tasks="+strconv.Itoa(n))
}

// Get returns one task with its system, result and deliveries.
func (ts *Tasks) Get(ctx context.Context, id int64) (*TaskView, error) {
	if id <= 0 {
		return nil, ErrNotFound
	}
	var t Task
	err := ts.c.read(ctx).Where("id = ?", id).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	list, err := ts.ForRequest(ctx, t.RequestID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == id {
			return &list[i], nil
		}
	}
	return nil, ErrNotFound
}
