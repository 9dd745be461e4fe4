package vigil.checks.sbd_diskless_node_count

import data.vigil.checklib

metadata := {
	"id": "sbd_diskless_node_count",
	"name": "Diskless SBD runs on three or more nodes",
	"group": "sbd",
	"description": "Diskless SBD fences by self-reset of the node that lost quorum. With two nodes neither side has quorum after a split unless a quorum device is added, so diskless SBD needs at least three nodes.",
	"remediation": "Add a third node (or a corosync QDevice, `crm cluster init qdevice`), or switch to disk-based SBD or a fence agent.",
	"target_type": "cluster",
	"severity": "critical"
}

diskless := object.get(input.cluster.sbd_config, "SBD_DEVICE", "") == ""

uses_sbd := count(input.cluster.sbd_config) > 0

observed := count(input.cluster.nodes)

expected := 3

ok := observed >= expected if {
	diskless
	uses_sbd
}

else := true

message := sprintf("diskless SBD on %v nodes", [observed]) if {
	diskless
	uses_sbd
}

else := "not diskless SBD"

result := checklib.verdict(metadata, ok, message, observed, expected)
