package vigil.checks.saphana_topology_clone

import data.vigil.checklib

metadata := {
	"id": "saphana_topology_clone",
	"name": "SAPHanaTopology runs as a clone on every node",
	"group": "saphana",
	"description": "The SAPHana agents decide on takeovers from the replication status that SAPHanaTopology collects on every node. Without that clone they act on stale or missing data.",
	"remediation": "Create the clone as in the SUSE guide, e.g.\n\n```\ncrm configure primitive rsc_SAPHanaTop_<SID>_HDB<nr> ocf:suse:SAPHanaTopology params SID=<SID> InstanceNumber=<nr>\ncrm configure clone cln_SAPHanaTop_<SID>_HDB<nr> rsc_SAPHanaTop_<SID>_HDB<nr> meta clone-node-max=1 interleave=true\n```",
	"target_type": "cluster",
	"cluster_types": [
		"hana_scale_up",
		"hana_scale_out",
		"hana_ascs_ers"
	],
	"severity": "critical"
}

observed := [r.id | some r in checklib.resources_of_type({"SAPHanaTopology"}); r.parent.kind == "clone"]

expected := "a cloned SAPHanaTopology resource"

ok := count(observed) > 0

message := sprintf("SAPHanaTopology clones: %v", [checklib.shown(concat(", ", observed))]) if ok

message := "no cloned SAPHanaTopology resource" if not ok

result := checklib.verdict(metadata, ok, message, observed, expected)
