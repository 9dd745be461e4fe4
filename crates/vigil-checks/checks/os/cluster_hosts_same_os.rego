package vigil.checks.cluster_hosts_same_os

import data.vigil.checklib

metadata := {
	"id": "cluster_hosts_same_os",
	"name": "Every cluster node runs the same OS version",
	"group": "os",
	"description": "Nodes on different service packs run different Pacemaker, corosync and resource agent versions; mixed versions are supported only for the duration of a rolling upgrade.",
	"remediation": "Finish the rolling upgrade: migrate the remaining nodes to the same service pack (`zypper migration`), one node at a time with it in standby.",
	"target_type": "cluster",
	"severity": "warning"
}

observed := sort({h.os_version | some h in input.hosts})

expected := "one OS version"

ok := count(observed) <= 1

message := sprintf("OS versions of the nodes: %v", [concat(", ", observed)])

result := checklib.verdict(metadata, ok, message, observed, expected)
