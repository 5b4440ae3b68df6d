package handlers

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
	"github.com/rightsdesk/rightsdesk/templates/wording"
)

// fulfilment fills the request page's checklist, thread, package, items
// to correct and outcome.
func (h *Handlers) fulfilment(c echo.Context, p layout.Page, d *models.RequestDetail, v *admin.RequestView, f forms) error {
	ctx := c.Request().Context()
	r := &d.Request
	st := CurrentStaff(c)
	v.CanOverride = models.CanOverride(st.Role)
	v.MaxMB = h.Documents.MaxSize() >> 20
	v.ThreadForm = orEmpty(f.thread)
	if f.message.Values != nil {
		v.ThreadForm = f.message
	}
	v.Completing = r.CanMoveTo(models.StatusCompleted) && r.Kind == models.KindRequest
	if v.CanWork && !r.Closed() {
		if err := h.Messages.MarkRead(ctx, r.ID); err != nil {
			return err
		}
	}
	tasks, err := h.Tasks.ForRequest(ctx, r.ID)
	if err != nil {
		return err
	}
	names, err := h.staffNames(ctx)
	if err != nil {
		return err
	}
	for _, n := range names.options {
		v.Assignees = append(v.Assignees, n)
	}
	for i := range tasks {
		row := h.taskRow(p, r, &tasks[i], names.byID)
		if tasks[i].Open() {
			v.OpenTasks++
		}
		v.Tasks = append(v.Tasks, row)
	}
	thread, err := h.Messages.Thread(ctx, r.ID)
	if err != nil {
		return err
	}
	v.Thread = threadRows(p, thread, "thread.staff.", func(doc models.Document) string {
		return "/admin/documents/" + itoa(doc.ID) + "?download=1"
	})
	items, err := h.Corrections.ForRequest(ctx, r.ID)
	if err != nil {
		return err
	}
	for _, it := range items {
		v.Corrections = append(v.Corrections, correctionRow(p, it))
	}
	if r.Status == models.StatusCompleted && r.Kind == models.KindRequest && r.Outcome != "" {
		v.Outcome = &admin.OutcomeView{Outcome: p.T.T("outcome." + r.Outcome), Note: r.OutcomeNote, NotDone: r.NotDone, Override: r.OverrideReason}
	}
	if r.Kind == models.KindRequest && (r.Right == "access" || r.Right == "portability") {
		pv, err := h.Packages.ForRequest(ctx, r.ID)
		if err != nil {
			return err
		}
		box := &admin.PackageBox{FileForm: orEmpty(f.file), BuildForm: orEmpty(f.pkg), MaxMB: v.MaxMB,
			CanBuild: !r.Closed() || r.Status == models.StatusCompleted}
		for _, doc := range pv.Files {
			box.Files = append(box.Files, admin.FileRow{ID: doc.ID, Name: doc.Name, Size: sizeText(p, doc.Size),
				URL: "/admin/documents/" + itoa(doc.ID) + "?download=1", Erase: "/admin/files/" + itoa(doc.ID) + "/remove"})
		}
		if pk := pv.Package; pk != nil {
			row := &admin.PackageRow{ID: pk.ID, Created: pk.CreatedAt, Expires: pk.ExpiresAt, Live: pk.Live(h.Core.Now()),
				Size: sizeText(p, pk.Size), Files: pk.Files}
			for _, dl := range pv.Downloads {
				row.Downloads = append(row.Downloads, dl.At)
			}
			if row.Live && v.CanWork {
				row.URL = "/admin/packages/" + itoa(pk.ID)
			}
			box.Latest = row
		}
		v.Package = box
	}
	return nil
}

// staffList is the staff who may be assigned work, as options and by id.
type staffList struct {
	options []components.Option
	byID    map[int64]string
}

func (h *Handlers) staffNames(ctx context.Context) (staffList, error) {
	out := staffList{byID: map[int64]string{}}
	list, err := h.Staff.List(ctx)
	if err != nil {
		return out, err
	}
	for _, s := range list {
		out.byID[s.ID] = s.Name
		if s.DisabledAt == nil && models.CanWork(s.Role) {
			out.options = append(out.options, components.Option{Value: itoa(s.ID), Label: s.Name})
		}
	}
	return out, nil
}

// taskRow is a task as the request page and the task page show it.
func (h *Handlers) taskRow(p layout.Page, r *models.Request, t *models.TaskView, names map[int64]string) admin.TaskRow {
	row := admin.TaskRow{ID: t.ID, System: t.System.Name, SystemURL: "/admin/systems/" + itoa(t.SystemID), Owner: t.System.Owner,
		Instructions: t.System.Instructions, Status: t.Status, StatusText: p.T.T("task.status." + t.Status), Open: t.Open(),
		Note: t.Note, Hooked: t.System.Hooked(), Assignee: p.T.T("systems.nobody")}
	if t.System.PassedOn() {
		row.Recipient = p.T.T("systems.recipient." + t.System.Recipient)
	}
	if t.AssigneeID != nil {
		row.Assignee = names[*t.AssigneeID]
	}
	if t.Result != nil {
		if t.Result.ErasedAt != nil {
			row.Records = p.T.N("tasks.records_erased", t.ResultRecords)
		} else {
			row.Records = p.T.N("tasks.records", t.ResultRecords)
		}
	}
	row.Deliveries = deliveryRows(p, t.Deliveries)
	if !r.Closed() {
		row.Outcomes = append(row.Outcomes, components.Option{Value: models.TaskOpen, Label: p.T.T("task.outcome.open")})
		for _, o := range models.TaskOutcomes {
			if o == models.TaskImpossible && !t.System.PassedOn() {
				continue
			}
			key := "task.outcome." + o
			if t.System.PassedOn() && o == models.TaskDone {
				key = "task.outcome.done_passed_on"
			}
			row.Outcomes = append(row.Outcomes, components.Option{Value: o, Label: p.T.T(key), Hint: p.T.T(key + ".hint")})
		}
	}
	return row
}

func deliveryRows(p layout.Page, list []models.Delivery) []admin.DeliveryRow {
	var out []admin.DeliveryRow
	for _, d := range list {
		row := admin.DeliveryRow{ID: d.ID, Created: d.CreatedAt, Status: d.Status, StatusText: p.T.T("delivery.status." + d.Status)}
		switch d.Kind {
		case models.JobTaskWebhook, models.JobChoiceWebhook:
			row.What = p.T.T("delivery.kind." + d.Kind)
		}
		if d.Status == "pending" {
			next := d.NextAttemptAt
			row.Next = &next
		}
		for _, a := range d.Tries {
			row.Attempts = append(row.Attempts, admin.AttemptRow{At: a.At, OK: a.OK, Code: a.StatusCode, Error: a.Error})
		}
		out = append(out, row)
	}
	return out
}

// threadRows turns a thread into rows; prefix names the catalog keys of
// who wrote each message, as the reader should see it.
func threadRows(p layout.Page, items []models.ThreadItem, prefix string, fileURL func(models.Document) string) []admin.ThreadRow {
	var out []admin.ThreadRow
	for _, it := range items {
		row := admin.ThreadRow{At: it.At, From: p.T.T(prefix + it.From), Mine: it.From == "staff", Body: it.Body,
			Question: it.Question, Unread: it.Unread}
		for _, d := range it.Attachments {
			row.Attachments = append(row.Attachments, admin.FileRow{ID: d.ID, Name: d.Name, URL: fileURL(d), Size: sizeText(p, d.Size)})
		}
		out = append(out, row)
	}
	return out
}

func correctionRow(p layout.Page, it models.CorrectionItem) admin.CorrectionRow {
	row := admin.CorrectionRow{ID: it.ID, Item: it.Item, Wrong: it.Wrong, Correct: it.Correct, Reason: it.Reason,
		Form: components.Form{Values: url.Values{"decision": {it.Decision}, "decision_reason": {it.Reason}}}}
	if it.Decision != "" {
		row.Decision = p.T.T("corrections." + it.Decision)
	}
	return row
}

// sizeText writes a file size for people: 12 KB, 3.4 MB, 1.1 GB.
func sizeText(p layout.Page, n int64) string {
	switch {
	case n >= 1<<30:
		return p.T.T("size.gb", strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64))
	case n >= 1<<20:
		return p.T.T("size.mb", strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64))
	}
	return p.T.T("size.kb", strconv.FormatInt(max(1, (n+1023)>>10), 10))
}

// TaskPage shows one task with its form.
func (h *Handlers) TaskPage(c echo.Context) error {
	return h.renderTask(c, http.StatusOK, components.Form{})
}

func (h *Handlers) renderTask(c echo.Context, status int, form components.Form) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := h.Tasks.Get(ctx, id)
	if err != nil {
		return err
	}
	d, err := h.Requests.Get(ctx, t.RequestID)
	if err != nil {
		return err
	}
	names, err := h.staffNames(ctx)
	if err != nil {
		return err
	}
	p := h.page(c, "tasks.title", t.System.Name)
	p.Failed = status >= 400
	row := h.taskRow(p, &d.Request, t, names.byID)
	if form.Values == nil {
		form = components.Form{Values: url.Values{"task_status": {t.Status}, "task_note": {t.Note}}}
		if t.AssigneeID != nil {
			form.Values.Set("assignee", itoa(*t.AssigneeID))
		}
	}
	row.Form = form
	v := admin.TaskView{Task: row, Reference: d.Sub.Reference, Right: wording.Subject(p.T, d.Request.Kind, d.Request.Right),
		Back: "/admin/requests/" + itoa(d.Request.ID) + "#tasks", Assignees: names.options, CanWork: models.CanWork(CurrentStaff(c).Role)}
	noStore(c)
	return render(c, status, admin.Task(p, v))
}

// TaskUpdate records staff's work on a task.
func (h *Handlers) TaskUpdate(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	assignee, _ := strconv.ParseInt(values.Get("assignee"), 10, 64)
	st := CurrentStaff(c)
	err = h.Tasks.Update(c.Request().Context(), id, models.TaskUpdate{Status: values.Get("task_status"), Note: values.Get("task_note"),
		AssigneeID: assignee}, models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "tasks.title")
		return h.renderTask(c, Status(err), formOf(p, values, err, "task_status", "assignee", "task_status", "task_note"))
	}
	if err != nil {
		return err
	}
	t, err := h.Tasks.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.task_saved", "/admin/requests/"+itoa(t.RequestID)+"#tasks")
}

// TaskResend sends a task to its system's webhook again.
func (h *Handlers) TaskResend(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	err = h.Tasks.Resend(c.Request().Context(), id, models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "tasks.title")
		return h.renderTask(c, Status(err), formOf(p, url.Values{}, err, "task_status", "task_status"))
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.task_resent", "/admin/tasks/"+itoa(id))
}

// CorrectionPage shows one item to correct with the decision form.
func (h *Handlers) CorrectionPage(c echo.Context) error {
	return h.renderCorrection(c, http.StatusOK, components.Form{})
}

func (h *Handlers) renderCorrection(c echo.Context, status int, form components.Form) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	it, err := h.Corrections.Get(ctx, id)
	if err != nil {
		return err
	}
	d, err := h.Requests.Get(ctx, it.RequestID)
	if err != nil {
		return err
	}
	p := h.page(c, "corrections.title", it.Item)
	p.Failed = status >= 400
	row := correctionRow(p, *it)
	if form.Values != nil {
		row.Form = form
	}
	v := admin.CorrectionView{Item: row, Reference: d.Sub.Reference, Back: "/admin/requests/" + itoa(d.Request.ID) + "#corrections",
		CanWork: models.CanWork(CurrentStaff(c).Role) && !d.Request.Closed()}
	noStore(c)
	return render(c, status, admin.Correction(p, v))
}

// CorrectionDecide records whether an item was corrected.
func (h *Handlers) CorrectionDecide(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	ctx := c.Request().Context()
	err = h.Corrections.Decide(ctx, id, values.Get("decision"), values.Get("decision_reason"), models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "corrections.title")
		return h.renderCorrection(c, Status(err), formOf(p, values, err, "decision", "decision", "decision_reason"))
	}
	if err != nil {
		return err
	}
	it, err := h.Corrections.Get(ctx, id)
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.correction_saved", "/admin/requests/"+itoa(it.RequestID)+"#corrections")
}

// RequestThread writes in a request's thread, with an optional file; a
// message that asks the person something stops the clock where the law
// allows (Requests.AskForInformation).
func (h *Handlers) RequestThread(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.Requests.Get(ctx, id); err != nil {
		return err
	}
	values, part, err := h.multipartForm(c, "attachment")
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	actor := models.StaffActor(st.ID, ip(c))
	switch ask := values.Get("ask"); {
	case ask != "" && part != nil:
		err = &models.Error{Kind: models.KindInvalid, Key: "error.attachment.with_question", Field: "attachment"}
	case ask != "":
		err = h.Requests.AskForInformation(ctx, id, ask, values.Get("message"), actor)
		if ve := (*models.ValidationError)(nil); errors.As(err, &ve) && ve.Fields["question"] != "" {
			err = invalidAs(ve, "question", "message")
		}
		var de *models.Error
		if errors.As(err, &de) && de.Field == "pause_reason" {
			err = &models.Error{Kind: de.Kind, Key: de.Key, Field: "ask", Err: de}
		}
	default:
		var file *models.Attachment
		if part != nil {
			file = &models.Attachment{Name: part.FileName(), R: part}
		}
		err = h.Messages.Send(ctx, id, values.Get("message"), file, actor)
	}
	if formError(err) {
		p := h.page(c, "req.title")
		fm := formOf(p, values, err, "message", "message", "ask", "attachment")
		noStore(c)
		return h.renderRequest(c, Status(err), forms{thread: fm, failed: fm})
	}
	if err != nil {
		return err
	}
	key, err := h.toldKey(c, id, "flash.message_sent")
	if err != nil {
		return err
	}
	return h.flashTo(c, key, "/admin/requests/"+itoa(id))
}

// invalidAs renames a validation error's field from one to another.
func invalidAs(ve *models.ValidationError, from, to string) error {
	out := &models.ValidationError{}
	for f, k := range ve.Fields {
		if f == from {
			f = to
		}
		out.Add(f, k)
	}
	return out
}

// RequestFile attaches a file for the person's package.
func (h *Handlers) RequestFile(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.Requests.Get(ctx, id); err != nil {
		return err
	}
	_, part, err := h.multipartForm(c, "file")
	if err != nil {
		return err
	}
	file := models.Attachment{}
	if part != nil {
		file = models.Attachment{Name: part.FileName(), R: part}
	}
	st := CurrentStaff(c)
	_, err = h.Packages.Attach(ctx, id, file, models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "req.title")
		err = fieldAs(err, "document", "file")
		if errors.Is(err, models.ErrPackageRight) || errors.Is(err, models.ErrPackageState) {
			err = fieldAs(err, "package", "file")
		}
		fm := formOf(p, url.Values{}, err, "file", "file")
		noStore(c)
		return h.renderRequest(c, Status(err), forms{file: fm, failed: fm})
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.file_attached", "/admin/requests/"+itoa(id))
}

// fieldAs moves a domain error shown next to one field to another.
func fieldAs(err error, from, to string) error {
	var de *models.Error
	if errors.As(err, &de) && (de.Field == from || de.Field == "") {
		cp := *de
		cp.Field = to
		return &cp
	}
	return err
}

// RequestFileRemove erases a file staff attached.
func (h *Handlers) RequestFileRemove(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	doc, err := h.Documents.Get(ctx, id)
	if err != nil {
		return err
	}
	if doc.OwnerKind != models.OwnerRequestFile {
		return models.ErrNotFound
	}
	st := CurrentStaff(c)
	if err := h.Packages.RemoveFile(ctx, doc.OwnerID, id, models.StaffActor(st.ID, ip(c))); err != nil {
		return err
	}
	return h.flashTo(c, "flash.file_removed", "/admin/requests/"+itoa(doc.OwnerID))
}

// PackagePublish builds the person's package and tells them it is ready.
func (h *Handlers) PackagePublish(c echo.Context) error {
	return h.staffAction(c, "package", "flash.package_ready", func(id int64, _ url.Values, a models.Actor) error {
		_, err := h.Packages.Publish(c.Request().Context(), id, a)
		return err
	})
}

// PackageStaffDownload gives staff the package, logged as a download.
func (h *Handlers) PackageStaffDownload(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	pk, r, err := h.Packages.StaffDownload(c.Request().Context(), id, models.StaffActor(st.ID, ip(c)))
	if err != nil {
		return err
	}
	defer r.Close()
	return sendFile(c, "data-"+itoa(pk.RequestID)+".zip", "application/zip", pk.Size, r)
}

// sendFile streams a download.
func sendFile(c echo.Context, name, contentType string, size int64, r io.Reader) error {
	noStore(c)
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	if size > 0 {
		hd.Set(echo.HeaderContentLength, strconv.FormatInt(size, 10))
	}
	return c.Stream(http.StatusOK, contentType, r)
}
