// Package retry decides whether and when a failed CRM call is sent again:
// Decide answers whether sending it again is safe and whether a write may be
// held in the durable queue, Policy spaces attempts with jittered exponential
// backoff, Wait reads the waits a CRM asks for in its response headers, and
// Budget keeps retries to a share of the traffic so a failing CRM is not
// hammered.
package retry
