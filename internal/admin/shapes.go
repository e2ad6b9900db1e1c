package admin

import (
	"net/http"

	"github.com/crmguard/crmguard/internal/shape"
)

// shapes serves GET /api/v1/shapes?upstream=U: the shapes crmguard learned
// of an upstream's traffic (contract.learn), from which crmguard contract
// learn drafts a contract.
func (s *Server) shapes(w http.ResponseWriter, r *http.Request) {
	if s.opts.Shapes == nil {
		writeError(w, http.StatusNotFound, "no shapes: this crmguard learns no traffic; set contract.learn: true on an upstream")
		return
	}
	upstream := r.URL.Query().Get("upstream")
	if upstream == "" {
		writeError(w, http.StatusBadRequest, "upstream is required: GET /api/v1/shapes?upstream=NAME")
		return
	}
	ops, err := s.opts.Shapes(r.Context(), upstream)
	if err != nil {
		s.internal(w, "reading learned shapes", err)
		return
	}
	if ops == nil {
		ops = []*shape.Operation{}
	}
	writeJSON(w, http.StatusOK, struct {
		Upstream   string             `json:"upstream"`
		Operations []*shape.Operation `json:"operations"`
	}{upstream, ops})
}
