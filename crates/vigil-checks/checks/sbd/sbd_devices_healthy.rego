package vigil.checks.sbd_devices_healthy

import data.vigil.checklib

metadata := {
	"id": "sbd_devices_healthy",
	"name": "Every SBD device is healthy",
	"group": "sbd",
	"description": "An SBD device the node cannot read makes fencing through it impossible; with `SBD_PACEMAKER` a node that loses its devices may also self-fence.",
	"remediation": "Check the device paths and multipathing (`sbd -d <device> list`, `multipath -ll`), fix access to the storage, and verify with `sbd -d <device> dump`.",
	"target_type": "cluster",
	"severity": "critical"
}

observed := [d.Device | some d in input.cluster.sbd_devices; d.Status != "healthy"]

expected := []

ok := count(observed) == 0

message := sprintf("unhealthy SBD devices: %v", [concat(", ", observed)]) if count(observed) > 0

message := sprintf("%v SBD devices, all healthy", [count(input.cluster.sbd_devices)]) if count(observed) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
