package vigil.checks.sbd_device_count

import data.vigil.checklib

metadata := {
	"id": "sbd_device_count",
	"name": "Disk-based SBD uses one or three devices",
	"group": "sbd",
	"description": "SBD with two devices fences a node when either device is lost, which doubles the chance of a needless fencing; one device (often on a highly available storage) or three (a majority survives the loss of one) are the supported layouts.",
	"remediation": "Add a third device (or remove one) in `SBD_DEVICE` of `/etc/sysconfig/sbd`, separated by `;`, initialise new devices with `sbd -d <device> create`, and restart the cluster stack node by node.",
	"target_type": "cluster",
	"severity": "warning"
}

configured := object.get(input.cluster.sbd_config, "SBD_DEVICE", "")

observed := count([d | some d in split(configured, ";"); trim_space(d) != ""])

expected := "1 or 3"

ok := observed in {0, 1, 3}

message := sprintf("%v SBD devices are configured", [observed])

result := checklib.verdict(metadata, ok, message, observed, expected)
