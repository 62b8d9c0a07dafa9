package hwflicense

// #include <validate.h>
import "C"

import "runtime"

// NodeFacts is what a node observes about itself: its IP addresses, DNS name and deployment
// tag, matched against a site license's fingerprint. Build it once and pass it to every
// validation; a nil *NodeFacts means no facts. Immutable; Close frees it (a finalizer does
// otherwise).
type NodeFacts struct {
	c *C.lv_node_facts
}

// NewNodeFacts builds node facts; an empty dnsName or deploymentTag means none. An address that
// is not an IP address fails with CodeInvalidArgument; text that is not UTF-8 with
// CodeInvalidUTF8.
func NewNodeFacts(addresses []string, dnsName, deploymentTag string) (*NodeFacts, error) {
	var c *C.lv_node_facts
	if rc := C.lv_node_facts_new(&c); rc != C.LV_RESULT_OK {
		return nil, takeError(rc, nil)
	}
	f := &NodeFacts{c: c}
	runtime.SetFinalizer(f, (*NodeFacts).Close)
	for _, a := range addresses {
		p, n := text(a)
		var cerr *C.lv_error
		rc := C.lv_node_facts_add_address(f.c, p, n, &cerr)
		if rc != C.LV_RESULT_OK {
			f.Close()
			return nil, takeError(rc, cerr)
		}
	}
	p, n := text(dnsName)
	rc := C.lv_node_facts_set_dns_name(f.c, p, n)
	if rc == C.LV_RESULT_OK {
		p, n = text(deploymentTag)
		rc = C.lv_node_facts_set_deployment_tag(f.c, p, n)
	}
	if rc != C.LV_RESULT_OK {
		f.Close()
		return nil, takeError(rc, nil)
	}
	runtime.KeepAlive(f)
	return f, nil
}

// Close frees the facts. Safe to call more than once; must not race with a validation using
// them.
func (f *NodeFacts) Close() {
	if f == nil || f.c == nil {
		return
	}
	C.lv_node_facts_free(f.c)
	f.c = nil
	runtime.SetFinalizer(f, nil)
}

// ptr is the C handle, or NULL for nil facts.
func (f *NodeFacts) ptr() *C.lv_node_facts {
	if f == nil {
		return nil
	}
	return f.c
}
