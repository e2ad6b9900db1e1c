package report

import (
	"fmt"
	"io"
)

// Format is a report's file format, named by its file extension.
type Format string

// The formats.
const (
	HTML     Format = "html"
	Markdown Format = "md"
	CSV      Format = "csv"
	JSON     Format = "json"
)

// Formats lists the formats.
func Formats() []Format { return []Format{HTML, Markdown, CSV, JSON} }

// ParseFormat reads html, md, csv or json ("markdown" is md).
func ParseFormat(s string) (Format, error) {
	if s == "markdown" {
		return Markdown, nil
	}
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown report format %q: want html, md, csv or json", s)
}

// Write renders r in format f.
func (f Format) Write(w io.Writer, r Report) error {
	switch f {
	case HTML:
		return WriteHTML(w, r)
	case Markdown:
		return WriteMarkdown(w, r)
	case CSV:
		return WriteCSV(w, r)
	case JSON:
		return WriteJSON(w, r)
	}
	return fmt.Errorf("unknown report format %q: want html, md, csv or json", string(f))
}

// ContentType is the MIME type of format f, for mail attachments.
func (f Format) ContentType() string {
	switch f {
	case HTML:
		return "text/html; charset=utf-8"
	case Markdown:
		return "text/markdown; charset=utf-8"
	case CSV:
		return "text/csv; charset=utf-8"
	}
	return "application/json"
}
