package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
)

// APIOperation is one operation of the staff API, as the OpenAPI document
// describes it; a test checks these against the route table.
type APIOperation struct {
	Method, Path, ID, Summary string
	Write                     bool   // needs a write-scoped token and a role that works requests
	Body                      string // name of the request body schema, if any
	Response                  string // name of the 200 response schema
	Query                     []string
	CSV                       bool // the 200 response is text/csv (Response names no schema)
}

// APIOperations lists the staff API.
func APIOperations() []APIOperation {
	return []APIOperation{
		{Method: http.MethodGet, Path: "/api/v1/requests", ID: "listRequests",
			Summary: "List requests, most urgent first, as the queue does: status (open, all or a status), kind, right, " +
				"jurisdiction (e.g. US-CA), assignee (me, none or a member's id), due (overdue, 7d, 30d: open requests whose running " +
				"deadline is past or within 7 or 30 days), sort (urgent, newest, oldest), reference, after (the cursor), limit (up to 200). " +
				"A search by e-mail, name or phone is the admin's only: its terms would be in the URL",
			Response: "RequestList", Query: []string{"status", "kind", "right", "jurisdiction", "assignee", "due", "sort", "reference", "after", "limit"}},
		{Method: http.MethodGet, Path: "/api/v1/requests/{id}", ID: "getRequest", Summary: "One request, with its requester and timeline", Response: "Request"},
		{Method: http.MethodPost, Path: "/api/v1/requests/{id}/status", ID: "moveRequest", Summary: "Decide: move the request to another status (the requester is told)",
			Write: true, Body: "StatusChange", Response: "Request"},
		{Method: http.MethodPost, Path: "/api/v1/requests/{id}/notes", ID: "addNote", Summary: "Add an internal note", Write: true, Body: "Text", Response: "Request"},
		{Method: http.MethodPost, Path: "/api/v1/requests/{id}/messages", ID: "sendMessage", Summary: "Message the requester (the mail only says a message is waiting)",
			Write: true, Body: "Text", Response: "Request"},
		{Method: http.MethodPost, Path: "/api/v1/requests/{id}/extend", ID: "extendRequest", Summary: "Extend the deadline once, where the law allows", Write: true,
			Body: "Extension", Response: "Request"},
		{Method: http.MethodPost, Path: "/api/v1/requests/{id}/assign", ID: "assignRequest",
			Summary: "Assign an open request to a member who works requests (they are mailed), or to nobody", Write: true,
			Body: "Assignment", Response: "Request"},
		{Method: http.MethodGet, Path: "/api/v1/opt-outs", ID: "listOptOuts",
			Summary:  "The opt-out list: preferences changed after the cursor since=, as they stand, in change order; keep next and pass it as since= next time",
			Response: "OptOutList", Query: []string{"since", "choice", "limit"}},
		{Method: http.MethodGet, Path: "/api/v1/opt-outs.csv", ID: "exportOptOuts",
			Summary: "The opt-out list after since= as CSV, up to the last change when the export starts; the X-Next-Cursor header is the next since=",
			CSV:     true, Query: []string{"since", "choice"}},
		{Method: http.MethodGet, Path: "/api/v1/requests/{id}/tasks", ID: "listTasks", Summary: "The request's checklist: a task per data system in scope",
			Response: "TaskList"},
		{Method: http.MethodPost, Path: "/api/v1/tasks/{id}", ID: "updateTask", Summary: "Record work on a task: an outcome, a note, an assignee; what the body leaves out stays as it is",
			Write: true, Body: "TaskUpdate", Response: "Task"},
	}
}

type object = map[string]any

func str(desc string) object { return object{"type": "string", "description": desc} }

func enum(values ...string) object { return object{"type": "string", "enum": values} }

func ref(name string) object { return object{"$ref": "#/components/schemas/" + name} }

// OpenAPI builds the OpenAPI 3.1 document of the staff API.
func OpenAPI(baseURL string) object {
	rights := make([]string, 0, len(rules.AllRights)+1)
	for _, r := range rules.AllRights {
		rights = append(rights, string(r))
	}
	rights = append(rights, string(rules.RightComplaint)) // a complaint's right
	dateTime := object{"type": "string", "format": "date-time"}
	var choices []string
	for _, r := range models.ChoiceRights {
		choices = append(choices, string(r))
	}
	summary := object{"type": "object", "required": []string{"id", "reference", "kind", "right", "jurisdiction", "status", "received_at", "due_at"},
		"properties": object{
			"id": object{"type": "integer", "format": "int64"}, "reference": str("e.g. RD-7K3M-Q9XD"),
			"kind": enum(models.Kinds...), "right": enum(rights...), "jurisdiction": str("e.g. US-CA, EU, GB, CA-QC"),
			"status": enum(models.Statuses...), "received_at": dateTime, "due_at": dateTime, "extended_at": dateTime,
			"days_left":   object{"type": "integer", "description": "whole days to the deadline; negative when overdue; absent when closed"},
			"urgency":     enum("risk", "overdue"),
			"assignee_id": object{"type": "integer", "format": "int64", "description": "the member who holds it; absent when nobody does"},
			"assignee":    str("the member's name"),
		}}
	schemas := object{
		"RequestSummary": summary,
		"RequestList": object{"type": "object", "required": []string{"requests"}, "properties": object{
			"requests": object{"type": "array", "items": ref("RequestSummary")},
			"next":     str("cursor for the next page (?after=); absent on the last page")}},
		"Request": object{"allOf": []any{ref("RequestSummary"), object{"type": "object", "properties": object{
			"original_due_at": dateTime, "closed_at": dateTime, "denial_reason": str("catalog code of the reason"),
			"denial_detail": str("what the requester was told"),
			"requester": object{"type": "object", "properties": object{"name": str(""), "email": str(""), "email_verified_at": dateTime,
				"phone": str(""), "address": str("postal address, for a letter from a person with no e-mail"), "country": str("ISO 3166-1"), "region": str(""), "relationship": str(""), "details": str(""), "channel": str("")}},
			"next_statuses":  object{"type": "array", "items": enum(models.Statuses...)},
			"events":         object{"type": "array", "items": ref("Event")},
			"extension":      object{"type": "object", "properties": object{"allowed": object{"type": "boolean"}, "reason": str("why not, when not")}},
			"other_requests": object{"type": "array", "items": object{"type": "integer"}},
			"appeal_of":      object{"type": "integer"},
		}}}},
		"Event": object{"type": "object", "properties": object{"at": dateTime, "kind": str(""), "actor": enum("staff", "requester", "system"),
			"status_from": str(""), "status_to": str(""), "body": str(""), "internal": object{"type": "boolean"}}},
		"StatusChange": object{"type": "object", "required": []string{"status"}, "properties": object{"status": enum(models.Statuses...),
			"denial_reason": str("required to deny: one of the reasons the law allows for this request"),
			"detail": str("shown to the requester with a denial; required for the reasons 'other' and 'fraud'; " +
				"to complete a request, how it was done (required)"),
			"outcome":  enum(models.OutcomeFull, models.OutcomePartial),
			"not_done": str("to complete a request in part: what was not done, and why (required then)"),
			"override": str("an administrator's reason for completing a request while tasks are open")}},
		"Task": object{"type": "object", "required": []string{"id", "request_id", "system_id", "system", "status", "opened_at"},
			"properties": object{"id": object{"type": "integer", "format": "int64"}, "request_id": object{"type": "integer", "format": "int64"},
				"system_id": object{"type": "integer", "format": "int64"}, "system": str("the data system's name"),
				"recipient": enum(models.SystemRecipients...),
				"status": enum(models.TaskOpen, models.TaskFailed, models.TaskDone, models.TaskNoData, models.TaskNotApplicable,
					models.TaskImpossible, models.TaskOverridden),
				"assignee_id": object{"type": "integer", "format": "int64"}, "note": str(""),
				"records":   object{"type": "integer", "description": "records the system returned"},
				"opened_at": dateTime, "closed_at": dateTime}},
		"TaskList": object{"type": "object", "required": []string{"tasks"}, "properties": object{"tasks": object{"type": "array", "items": ref("Task")}}},
		"TaskUpdate": object{"type": "object", "description": "Each key is optional: a key left out keeps the task's current value.",
			"properties": object{
				"status": enum(models.TaskOpen, models.TaskDone, models.TaskNoData, models.TaskNotApplicable, models.TaskImpossible),
				"note":   object{"type": []string{"string", "null"}, "description": "required (here or already on the task) for not_applicable and impossible; null or empty clears it"},
				"assignee_id": object{"type": []string{"integer", "string", "null"},
					"description": "a member's id (a number or a string of digits; an active member whose role works requests), \"me\", or null (or empty) for nobody"}}},
		"Text": object{"type": "object", "required": []string{"body"}, "properties": object{"body": str("")}},
		"Assignment": object{"type": "object", "required": []string{"assignee_id"}, "properties": object{
			"assignee_id": str("a member's id (an active member whose role works requests), \"me\", or empty for nobody")}},
		"Extension": object{"type": "object", "required": []string{"reason"}, "properties": object{"reason": str("told to the requester")}},
		"Error": object{"type": "object", "properties": object{"error": object{"type": "object", "properties": object{
			"status": object{"type": "integer"}, "message": str(""), "fields": object{"type": "object", "additionalProperties": object{"type": "string"}}}}}},
		"OptOut": object{"type": "object", "required": []string{"cursor", "identifier_type", "identifier", "choice", "opted_out", "source", "changed_at"},
			"properties": object{
				"cursor": str("the number of the preference's last change"), "identifier_type": enum(models.IDKinds...),
				"identifier": str("what the person gave: an e-mail address, a phone number, or the organization's customer or visitor id"),
				"choice":     enum(choices...), "opted_out": object{"type": "boolean", "description": "false: the person opted back in (or the opt-out was denied or withdrawn)"},
				"source": enum(models.Sources...), "changed_at": dateTime,
				"request_id": object{"type": "integer", "description": "the request passing the last opt-out on"},
			}},
		"OptOutList": object{"type": "object", "required": []string{"opt_outs", "next", "more"}, "properties": object{
			"opt_outs": object{"type": "array", "items": ref("OptOut")},
			"next":     str("the cursor to pass as since= next time, also from the last page"),
			"more":     object{"type": "boolean", "description": "another page follows at once"}}},
	}
	errResp := func(desc string) object {
		return object{"description": desc, "content": object{"application/json": object{"schema": ref("Error")}}}
	}
	paths := object{}
	for _, op := range APIOperations() {
		ok := object{"description": "OK", "content": object{"application/json": object{"schema": ref(op.Response)}}}
		if op.CSV {
			ok = object{"description": "OK", "content": object{"text/csv": object{"schema": object{"type": "string"}}},
				"headers": object{"X-Next-Cursor": object{"description": "since= for the next export", "schema": object{"type": "string"}}}}
		}
		o := object{"operationId": op.ID, "summary": op.Summary,
			"responses": object{
				"200": ok,
				"401": errResp("no token, or not a live one"), "403": errResp("the token's scope or the member's role does not allow it"),
				"404": errResp("no such request or task"), "422": errResp("invalid input; fields names each problem"),
				"409": errResp("not allowed in the request's current state"), "429": errResp("too many requests"),
			}}
		var params []any
		if strings.Contains(op.Path, "{id}") {
			params = append(params, object{"name": "id", "in": "path", "required": true, "schema": object{"type": "integer", "format": "int64"}})
		}
		for _, q := range op.Query {
			params = append(params, object{"name": q, "in": "query", "schema": object{"type": "string"}})
		}
		if params != nil {
			o["parameters"] = params
		}
		if op.Body != "" {
			o["requestBody"] = object{"required": true, "content": object{"application/json": object{"schema": ref(op.Body)}}}
		}
		if op.Write {
			o["description"] = "Needs a token with the write scope, of a member whose role works requests."
		}
		item, _ := paths[op.Path].(object)
		if item == nil {
			item = object{}
		}
		item[strings.ToLower(op.Method)] = o
		paths[op.Path] = item
	}
	return object{
		"openapi": "3.1.0",
		"info": object{"title": "Rightsdesk staff API", "version": "1",
			"description": "Read the queue and requests, and act on them, as the member whose personal token is used. " +
				"Tokens are made on the staff account page; a read token only reads."},
		"servers":    []any{object{"url": baseURL}},
		"security":   []any{object{"token": []string{}}},
		"paths":      paths,
		"components": object{"schemas": schemas, "securitySchemes": object{"token": object{"type": "http", "scheme": "bearer"}}},
	}
}

// APIDocument serves the OpenAPI document.
func (h *Handlers) APIDocument(c echo.Context) error {
	return c.JSON(http.StatusOK, OpenAPI(h.Core.BaseURL))
}
