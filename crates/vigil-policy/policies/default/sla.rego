# SLA policies over read models.
#
# Input: an object of read-model arrays plus `now`, e.g. {hosts: [...], clusters: [...],
# now: "2024-05-01T12:00:00Z"} (schemas/sla.input.schema.json). Output: `violations`, a set
# of {id, subject, policy, message} objects.
#
# The default bundle defines no SLA. Add a module to this package with rules such as
#
#     violations contains v if {
#         some host in input.hosts
#         age_ns := time.parse_rfc3339_ns(input.now) - time.parse_rfc3339_ns(host.last_heartbeat_at)
#         age_ns > 60 * 1000000000
#         v := {"id": sprintf("heartbeat/%s", [host.id]), "subject": host.id, "policy": "heartbeat",
#               "message": sprintf("host %s sent no heartbeat for %d s", [host.hostname, age_ns / 1000000000])}
#     }
#
# Until then `violations` is undefined, which Vigil reads as "no violations". `now` comes
# from the caller rather than `time.now_ns()`, so a check can be replayed and tested.
package vigil.sla
