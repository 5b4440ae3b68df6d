package handlers

import (
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/agent"
	"github.com/rightsdesk/rightsdesk/templates/wording"
)

// agentThread fills the thread of a filing's requests on the agent's page.
func (h *Handlers) agentThread(c echo.Context, p layout.Page, sub *models.Submission, v *agent.FilingView, reply components.Form) error {
	ids := make([]int64, len(sub.Requests))
	titles := map[int64]string{}
	for i, r := range sub.Requests {
		ids[i] = r.ID
		titles[r.ID] = wording.Subject(p.T, r.Kind, r.Right)
		v.ReplyTo = append(v.ReplyTo, components.Option{Value: itoa(r.ID), Label: titles[r.ID]})
	}
	threads, err := h.Messages.Threads(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	for _, rid := range ids {
		for _, it := range threads[rid] {
			m := agent.Message{At: it.At, From: p.T.T("thread.agent." + it.From), Mine: it.From != "staff", Body: it.Body, Question: it.Question}
			if len(ids) > 1 {
				m.About = titles[rid]
			}
			for _, d := range it.Attachments {
				m.Files = append(m.Files, agent.Document{ID: d.ID, Label: d.Name})
			}
			v.Thread = append(v.Thread, m)
		}
	}
	for i := 1; i < len(v.Thread); i++ {
		for j := i; j > 0 && v.Thread[j].At.Before(v.Thread[j-1].At); j-- {
			v.Thread[j], v.Thread[j-1] = v.Thread[j-1], v.Thread[j]
		}
	}
	v.ReplyForm = orEmpty(reply)
	v.MaxMB = h.Documents.MaxSize() >> 20
	return nil
}

// AgentReply is an agent's message, with an optional file, about one of
// the requests of their filing.
func (h *Handlers) AgentReply(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	a := CurrentAgent(c)
	ctx := c.Request().Context()
	if _, err := h.Filings.ForAgentDetail(ctx, a.ID, id); err != nil {
		return err
	}
	values, part, err := h.multipartForm(c, "attachment")
	if err != nil {
		return err
	}
	rid, _ := strconv.ParseInt(values.Get("request"), 10, 64)
	var file *models.Attachment
	if part != nil {
		file = &models.Attachment{Name: part.FileName(), R: part}
	}
	err = h.Messages.ReplyAsAgent(ctx, a.ID, id, rid, values.Get("reply"), file, models.AgentActor(a.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "agent.filing.title")
		f := formOf(p, values, fieldAs(err, "document", "attachment"), "reply", "request", "reply", "attachment")
		return h.renderAgentFiling(c, Status(err), f)
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.reply_sent", "/agent/requests/"+itoa(id)+"#messages")
}
