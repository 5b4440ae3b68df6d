package handlers

import (
	"errors"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/public"
	"github.com/rightsdesk/rightsdesk/templates/wording"
)

// trackFulfilment fills the tracking page's thread, packages, outcomes
// and items to correct.
func (h *Handlers) trackFulfilment(c echo.Context, p layout.Page, sub *models.Submission, v *public.TrackView, f trackForms) error {
	ctx := c.Request().Context()
	ids := make([]int64, len(sub.Requests))
	titles := map[int64]string{}
	for i := range sub.Requests {
		r := &sub.Requests[i]
		ids[i] = r.ID
		titles[r.ID] = wording.Subject(p.T, r.Kind, r.Right)
		if r.Status != models.StatusMerged {
			v.ReplyTo = append(v.ReplyTo, components.Option{Value: itoa(r.ID), Label: titles[r.ID]})
		}
	}
	v.MaxMB = h.Documents.MaxSize() >> 20
	v.ReplyForm, v.DownloadForm = orEmpty(f.reply), orEmpty(f.download)
	// Each of these is read only where the timeline or the rights say it
	// can exist: most tracking pages have no thread, package or correction.
	var threads map[int64][]models.ThreadItem
	var packages map[int64]models.Package
	var items map[int64][]models.CorrectionItem
	var err error
	if sub.HasEvent(models.EventMessage, models.EventReply, models.EventPaused, models.EventResumed) {
		if threads, err = h.Messages.Threads(ctx, ids); err != nil {
			return err
		}
	}
	var last int64
	for _, rid := range ids {
		for _, it := range threads[rid] {
			m := public.TrackMessage{At: it.At, From: p.T.T("thread.person." + it.From), Mine: it.From != "staff", Body: it.Body,
				Question: it.Question}
			if len(ids) > 1 {
				m.About = titles[rid]
			}
			for _, d := range it.Attachments {
				m.Files = append(m.Files, public.TrackFile{Name: d.Name, URL: "/t/" + v.Token + "/files/" + itoa(d.ID), Size: sizeText(p, d.Size)})
			}
			v.Thread = append(v.Thread, m)
			if it.From == "staff" {
				last = rid
			}
		}
	}
	sortThread(v.Thread)
	if v.ReplyForm.Get("request") == "" && last != 0 {
		v.ReplyForm.Values.Set("request", itoa(last)) // a reply is about what we last wrote about
	}
	if sub.HasEvent(models.EventPackage) {
		if packages, err = h.Packages.OfSubmission(ctx, sub.ID); err != nil {
			return err
		}
	}
	if sub.HasRight("correct") {
		if items, err = h.Corrections.ForRequests(ctx, ids); err != nil {
			return err
		}
	}
	now := h.Core.Now()
	for i := range v.Requests {
		tr := &v.Requests[i]
		r := sub.Request(tr.ID)
		if pk, ok := packages[tr.ID]; ok {
			v.Packages = append(v.Packages, public.TrackPackage{ID: pk.ID, About: titles[tr.ID], Expires: pk.ExpiresAt, Live: pk.Live(now)})
		}
		if r.Outcome != "" && r.Status == models.StatusCompleted {
			tr.Outcome, tr.OutcomeNote, tr.NotDone = p.T.T("track.outcome."+r.Outcome), r.OutcomeNote, r.NotDone
		}
		for _, it := range items[tr.ID] {
			tc := public.TrackCorrection{Item: it.Item, Wrong: it.Wrong, Correct: it.Correct, Reason: it.Reason}
			if it.Decision != "" {
				tc.Decision = p.T.T("corrections." + it.Decision)
			}
			tr.Corrections = append(tr.Corrections, tc)
		}
		tr.CanCorrect = r.Kind == models.KindRequest && r.Right == "correct" && !r.Closed()
		tr.CorrectionForm = components.Form{Values: url.Values{}}
		if tr.ID == f.correctionID {
			tr.CorrectionForm = f.correction
		}
	}
	return nil
}

func sortThread(list []public.TrackMessage) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && list[j].At.Before(list[j-1].At); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

// Reply is the person's message, with an optional file, from their
// tracking page.
func (h *Handlers) Reply(c echo.Context) error {
	token := c.Param("token")
	ctx := c.Request().Context()
	sub, err := h.Submissions.ByTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	values, part, err := h.multipartForm(c, "attachment")
	if err != nil {
		return err
	}
	rid, _ := strconv.ParseInt(values.Get("request"), 10, 64)
	if rid == 0 && len(sub.Requests) > 0 {
		rid = sub.Requests[0].ID // a form without the choice (one request): the first
	}
	var file *models.Attachment
	if part != nil {
		file = &models.Attachment{Name: part.FileName(), R: part}
	}
	err = h.Messages.Reply(ctx, token, rid, values.Get("reply"), file, models.RequesterActor(ip(c)))
	if formError(err) {
		p := h.page(c, "track.title")
		f := formOf(p, values, fieldAs(err, "document", "attachment"), "reply", "request", "reply", "attachment")
		return h.renderTrack(c, Status(err), trackForms{reply: f, failed: f})
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.reply_sent", "/t/"+token+"#messages")
}

// TrackFile gives the person a file of their thread.
func (h *Handlers) TrackFile(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	doc, r, err := h.Messages.OpenForPerson(c.Request().Context(), c.Param("token"), id, models.RequesterActor(ip(c)))
	if err != nil {
		return err
	}
	defer r.Close()
	return sendFile(c, doc.Name, doc.ContentType, doc.Size, r)
}

// PackageCode mails the person a fresh code to download a package.
func (h *Handlers) PackageCode(c echo.Context) error {
	token := c.Param("token")
	id, err := parseID(c)
	if err != nil {
		return err
	}
	err = h.Packages.SendCode(c.Request().Context(), token, id, models.RequesterActor(ip(c)))
	if formError(err) {
		p := h.page(c, "track.title")
		f := formOf(p, url.Values{"package": {itoa(id)}}, fieldAs(err, "code", "download_code"), "download_code", "download_code")
		return h.renderTrack(c, Status(err), trackForms{download: f, failed: f})
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.download_code_sent", "/t/"+token+"#your-data")
}

// PackageDownload checks the code and streams the package.
func (h *Handlers) PackageDownload(c echo.Context) error {
	token := c.Param("token")
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	id, _ := strconv.ParseInt(values.Get("package"), 10, 64)
	if id <= 0 {
		return models.ErrNotFound
	}
	pk, r, err := h.Packages.Download(c.Request().Context(), token, id, values.Get("download_code"), models.RequesterActor(ip(c)))
	if formError(err) {
		p := h.page(c, "track.title")
		values.Del("download_code") // a code is typed again, never shown back
		f := formOf(p, values, fieldAs(err, "code", "download_code"), "download_code", "package", "download_code")
		return h.renderTrack(c, Status(err), trackForms{download: f, failed: f})
	}
	if err != nil {
		return err
	}
	defer r.Close()
	return sendFile(c, "your-data-"+pk.CreatedAt.Format("2006-01-02")+".zip", "application/zip", pk.Size, r)
}

// CorrectionAdd records one thing the person wants corrected.
func (h *Handlers) CorrectionAdd(c echo.Context) error {
	token := c.Param("token")
	id, err := parseID(c)
	if err != nil {
		return err
	}
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	err = h.Corrections.Add(c.Request().Context(), token, id, values.Get("item"), values.Get("wrong"), values.Get("correct"),
		models.RequesterActor(ip(c)))
	if formError(err) && !errors.Is(err, models.ErrNotCorrection) {
		p := h.page(c, "track.title")
		f := formOf(p, values, err, "item", "item", "wrong", "correct")
		return h.renderTrack(c, Status(err), trackForms{correctionID: id, correction: f, failed: f})
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.correction_added", "/t/"+token+"#req-"+itoa(id))
}
