package vigil.checklib_test

import data.vigil.checklib

test_seconds_reads_pacemaker_durations if {
	checklib.seconds("150") == 150
	checklib.seconds(144) == 144
	checklib.seconds("30s") == 30
	checklib.seconds("2min") == 120
	checklib.seconds("1500ms") == 1.5
	checklib.seconds("1h") == 3600
	not checklib.seconds("soon")
}

test_versions_compare_by_their_dotted_part if {
	checklib.version_at_least("2.1.5+20221208.a3f44794f-150500.6.14.4", "2.1.2")
	checklib.version_at_least("2.1.2", "2.1.2")
	checklib.version_at_least("2.10.0", "2.9.9")
	not checklib.version_at_least("2.0.5", "2.1")
	not checklib.version_at_least("0.161.1", "0.162.0")
}

test_booleans if {
	checklib.truthy("Yes")
	checklib.truthy(true)
	checklib.falsy("False")
	not checklib.truthy("no")
}

test_numbers_and_shown if {
	checklib.number("30000") == 30000
	checklib.number("-1") == -1
	checklib.number(5) == 5
	not checklib.number("5s")
	checklib.shown(null) == "not set"
	checklib.shown(5) == "5"
	checklib.shown(concat(", ", [])) == "none"
}

test_a_fact_is_its_value_or_null_for_an_absence if {
	facts := {
		"token": 30000,
		"unset": {"error": {"type": "value_not_found", "message": "corosync.conf has no totem.join"}},
		"sbd": {"error": {"type": "package_not_installed", "message": "package sbd is not installed"}},
		"pacemaker": {"name": "pacemaker", "epoch": null, "version": "2.1.7+20231219.0f7f88312", "release": "150600.6.3.1", "arch": "x86_64", "manager": "rpm", "installed_versions": ["2.1.7+20231219.0f7f88312-150600.6.3.1"]},
		"section": {"error": "not a gatherer error: a value with an `error` key of another shape"},
	}
	checklib.fact("token") == 30000 with input.facts as facts
	checklib.fact("unset") == null with input.facts as facts
	checklib.fact_error("unset") == "value_not_found" with input.facts as facts
	checklib.fact_error("token") == null with input.facts as facts
	checklib.fact("section") == facts.section with input.facts as facts
	checklib.package_version("pacemaker") == "2.1.7+20231219.0f7f88312" with input.facts as facts
	checklib.package_version("sbd") == null with input.facts as facts
	checklib.not_installed("sbd") with input.facts as facts
	not checklib.not_installed("pacemaker") with input.facts as facts
}
