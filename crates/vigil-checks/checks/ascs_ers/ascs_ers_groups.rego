package vigil.checks.ascs_ers_groups

import data.vigil.checklib

metadata := {
	"id": "ascs_ers_groups",
	"name": "Each ASCS and ERS instance runs in a group with its virtual IP",
	"group": "ascs_ers",
	"description": "Clients and the ERS reach the ASCS through its virtual hostname. Each SAPInstance resource must therefore sit in a group together with the IP it is reached on (IPaddr2, or the cloud's IP agent), so they always move together.",
	"remediation": "Group each instance with its IP (and file system), e.g.\n\n```\ncrm configure group grp_<SID>_ASCS<nr> rsc_ip_<SID>_ASCS<nr> rsc_fs_<SID>_ASCS<nr> rsc_sap_<SID>_ASCS<nr>\n```",
	"target_type": "cluster",
	"cluster_types": [
		"ascs_ers",
		"hana_ascs_ers"
	],
	"severity": "critical"
}

ip_agents := {"IPaddr2", "aws-vpc-move-ip", "gcp-vpc-move-vip", "azure-lb"}

instances := checklib.resources_of_type({"SAPInstance"})

grouped_with_ip(r) if {
	r.parent.kind == "group"
	some other in input.cluster.resources
	other.parent.id == r.parent.id
	other.type in ip_agents
}

observed := [r.id | some r in instances; not grouped_with_ip(r)]

expected := []

default ok := false

ok if {
	count(instances) > 0
	count(observed) == 0
}

message := sprintf("SAP instances without a grouped IP: %v", [concat(", ", observed)]) if count(observed) > 0

message := sprintf("%v SAP instances, each grouped with its IP", [count(instances)]) if {
	count(observed) == 0
	count(instances) > 0
}

message := "no SAPInstance resource" if count(instances) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
