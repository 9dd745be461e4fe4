//! The agents connected over the facts channel, and the executions waiting for their
//! answers.
//!
//! An agent opens the channel (it never listens on a port); a request for it goes to its
//! connection's queue, and its answer comes back to the execution that asked, matched by
//! execution id and agent id. An agent that is not connected, whose queue is full, or that
//! does not answer in time gives [`HostFacts::NotGathered`] with the reason: an execution
//! never waits longer than its timeout, whatever the agents do.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;
use vigil_checks::facts::{FactRequest, FactsGathered, FactsGatheringRequested, FactsTarget, HostFacts};

/// Requests queued for one connection before it counts as stuck.
const QUEUE: usize = 16;

/// One agent's open channel, as the registry knows it.
struct Connection {
    /// Tells this connection from a newer one of the same agent.
    id: Uuid,
    requests: mpsc::Sender<Arc<FactsGatheringRequested>>,
}

/// The agents connected here, and the answers awaited.
#[derive(Default)]
pub struct FactsAgents {
    connected: Mutex<HashMap<Uuid, Connection>>,
    awaited: Mutex<HashMap<(Uuid, Uuid), oneshot::Sender<FactsGathered>>>,
}

/// A connection's hold on the registry: dropping it (the socket closed) removes the agent,
/// unless a newer connection of the same agent took its place.
pub struct Connected {
    agents: Arc<FactsAgents>,
    agent_id: Uuid,
    id: Uuid,
    /// The requests for this agent, in the order asked.
    pub requests: mpsc::Receiver<Arc<FactsGatheringRequested>>,
}

impl Drop for Connected {
    fn drop(&mut self) {
        let mut connected = self.agents.connected.lock().expect("the registry lock");
        if connected.get(&self.agent_id).is_some_and(|c| c.id == self.id) {
            connected.remove(&self.agent_id);
        }
    }
}

/// Removes an execution's awaited answers however the wait ends.
struct Awaiting<'a> {
    agents: &'a FactsAgents,
    keys: Vec<(Uuid, Uuid)>,
}

impl Drop for Awaiting<'_> {
    fn drop(&mut self) {
        let mut awaited = self.agents.awaited.lock().expect("the registry lock");
        for key in &self.keys {
            awaited.remove(key);
        }
    }
}

impl FactsAgents {
    /// Registers `agent_id`'s new connection. A second connection of the same agent (a
    /// reconnection the server has not noticed the end of) replaces the first.
    pub fn connect(self: &Arc<Self>, agent_id: Uuid) -> Connected {
        let (sender, requests) = mpsc::channel(QUEUE);
        let id = Uuid::now_v7();
        self.connected.lock().expect("the registry lock").insert(agent_id, Connection { id, requests: sender });
        metrics::gauge!("vigil_facts_agents_connected").set(self.connected_count() as f64);
        Connected { agents: self.clone(), agent_id, id, requests }
    }

    /// How many agents are connected.
    pub fn connected_count(&self) -> usize {
        self.connected.lock().expect("the registry lock").len()
    }

    /// Whether `agent_id` is connected here.
    pub fn is_connected(&self, agent_id: Uuid) -> bool {
        self.connected.lock().expect("the registry lock").contains_key(&agent_id)
    }

    /// Delivers an answer of `agent_id` to the execution awaiting it; `false` when none is
    /// (it came too late, or answers a request this server never sent).
    pub fn answer(&self, agent_id: Uuid, gathered: FactsGathered) -> bool {
        let waiting = self.awaited.lock().expect("the registry lock").remove(&(gathered.execution_id, agent_id));
        match waiting {
            Some(sender) => sender.send(gathered).is_ok(),
            None => false,
        }
    }

    /// Asks each of `agents` for `requests` on behalf of `execution_id` and waits at most
    /// `timeout` for all of them. Every agent asked has an entry in the result.
    pub async fn gather(
        &self,
        execution_id: Uuid,
        group_id: Uuid,
        agents: &[Uuid],
        requests: &[FactRequest],
        timeout: Duration,
    ) -> BTreeMap<Uuid, HostFacts> {
        let mut facts = BTreeMap::new();
        let mut pending = Vec::new();
        let mut guard = Awaiting { agents: self, keys: Vec::new() };
        for &agent_id in agents {
            let (sender, receiver) = oneshot::channel();
            self.awaited.lock().expect("the registry lock").insert((execution_id, agent_id), sender);
            guard.keys.push((execution_id, agent_id));
            let request = Arc::new(FactsGatheringRequested {
                execution_id,
                group_id,
                targets: vec![FactsTarget { agent_id, fact_requests: requests.to_vec() }],
            });
            let queued = match self.connected.lock().expect("the registry lock").get(&agent_id) {
                None => Err("the agent is not connected over the facts channel"),
                Some(connection) => {
                    connection.requests.try_send(request).map_err(|_| "the agent has too many requests waiting")
                }
            };
            match queued {
                Ok(()) => pending.push((agent_id, receiver)),
                Err(why) => {
                    facts.insert(agent_id, HostFacts::NotGathered(why.to_owned()));
                }
            }
        }
        let deadline = tokio::time::Instant::now() + timeout;
        for (agent_id, receiver) in pending {
            let outcome = match tokio::time::timeout_at(deadline, receiver).await {
                Ok(Ok(gathered)) => HostFacts::Gathered(gathered.facts_gathered),
                Ok(Err(_)) => HostFacts::NotGathered("the agent's answer was lost".into()),
                Err(_) => HostFacts::NotGathered(format!("the agent did not answer within {timeout:?}")),
            };
            facts.insert(agent_id, outcome);
        }
        drop(guard);
        facts
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use vigil_checks::facts::{FactOutcome, GatheredFact};

    use super::*;

    fn request() -> Vec<FactRequest> {
        vec![FactRequest {
            check_id: "corosync_token".into(),
            name: "token".into(),
            gatherer: "corosync.conf".into(),
            argument: "totem.token".into(),
        }]
    }

    #[tokio::test]
    async fn a_connected_agent_is_asked_and_its_answer_reaches_the_execution() {
        let agents = Arc::new(FactsAgents::default());
        let (answering, silent, absent) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut connection = agents.connect(answering);
        let _silent = agents.connect(silent);
        let execution_id = Uuid::from_u128(0xe1);
        let answerer = {
            let agents = agents.clone();
            tokio::spawn(async move {
                let asked = connection.requests.recv().await.expect("a request");
                assert_eq!(asked.targets.len(), 1, "an agent is sent only its own target");
                assert_eq!(asked.targets[0].agent_id, answering);
                let facts = asked.targets[0]
                    .fact_requests
                    .iter()
                    .map(|r| GatheredFact {
                        check_id: r.check_id.clone(),
                        name: r.name.clone(),
                        outcome: FactOutcome::Value(json!(30000)),
                    })
                    .collect();
                assert!(agents.answer(
                    answering,
                    FactsGathered { execution_id: asked.execution_id, agent_id: answering, facts_gathered: facts }
                ));
                connection
            })
        };
        let gathered = agents
            .gather(
                execution_id,
                Uuid::from_u128(0xc1),
                &[answering, silent, absent],
                &request(),
                Duration::from_millis(300),
            )
            .await;
        let _connection = answerer.await.unwrap();
        assert!(
            matches!(&gathered[&answering], HostFacts::Gathered(f) if f[0].outcome == FactOutcome::Value(json!(30000)))
        );
        assert!(matches!(&gathered[&silent], HostFacts::NotGathered(why) if why.contains("did not answer within")));
        assert!(matches!(&gathered[&absent], HostFacts::NotGathered(why) if why.contains("not connected")));
        assert!(agents.awaited.lock().unwrap().is_empty(), "nothing stays awaited after the execution");
        let late = FactsGathered { execution_id, agent_id: silent, facts_gathered: vec![] };
        assert!(!agents.answer(silent, late), "a late answer is refused");
    }

    #[tokio::test]
    async fn a_reconnection_replaces_the_old_connection_and_the_old_ones_end_leaves_it() {
        let agents = Arc::new(FactsAgents::default());
        let agent = Uuid::from_u128(1);
        let old = agents.connect(agent);
        let mut new = agents.connect(agent);
        drop(old);
        assert!(agents.is_connected(agent), "the old connection's end does not remove the new one");
        let (asked_of, requests) = ([agent], request());
        let gathering = agents.gather(Uuid::from_u128(9), agent, &asked_of, &requests, Duration::from_millis(50));
        let (gathered, asked) = tokio::join!(gathering, new.requests.recv());
        assert!(asked.is_some(), "the request went to the new connection");
        assert!(matches!(gathered[&agent], HostFacts::NotGathered(_)));
        drop(new);
        assert!(!agents.is_connected(agent));
    }
}
