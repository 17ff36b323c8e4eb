//! Machines, their secret keys (the previous one still works for a while after a rotation) and
//! the machines each may reach, which are the default scopes of its M2M tokens.

use std::collections::BTreeSet;

use clerk_core::models::{
    CreateMachineResponse, DeleteMachineResponse, DeleteMachineScopeResponse, Machine,
    MachineScope, MachineWithoutScopedMachines,
};

use super::{Failure, Outcome, Store};
use crate::ids::{object_id, random_id};
use crate::time::now_ms;

/// The lifetime of an M2M token when neither the request nor the machine sets one (Clerk: 1 hour).
pub(crate) const DEFAULT_M2M_TTL_SECS: i64 = 3600;

/// A machine, its secret key and the machines it may reach.
#[derive(Debug, Clone)]
pub(crate) struct MachineRecord {
    pub(crate) machine: MachineWithoutScopedMachines,
    pub(crate) secret_key: String,
    /// The secret key before the last rotation and until when (Unix ms) it still works.
    previous_secret_key: Option<(String, i64)>,
    pub(crate) scopes: BTreeSet<String>,
}

impl Store {
    pub(super) fn machine_record(&self, machine_id: &str) -> Outcome<&MachineRecord> {
        self.machines
            .get(machine_id)
            .ok_or_else(|| Failure::not_found("machine"))
    }

    /// A machine with the machines it may reach.
    pub(crate) fn machine(&self, machine_id: &str) -> Outcome<Machine> {
        let record = self.machine_record(machine_id)?;
        let m = &record.machine;
        Ok(Machine {
            object: m.object.clone(),
            id: m.id.clone(),
            name: m.name.clone(),
            instance_id: m.instance_id.clone(),
            created_at: m.created_at,
            updated_at: m.updated_at,
            default_token_ttl: m.default_token_ttl,
            scoped_machines: record
                .scopes
                .iter()
                .filter_map(|id| self.machines.get(id))
                .map(|r| r.machine.clone())
                .collect(),
        })
    }

    /// Every machine, oldest first.
    pub(crate) fn machine_list(&self) -> Vec<Machine> {
        let mut list: Vec<Machine> = self
            .machines
            .keys()
            .filter_map(|id| self.machine(id).ok())
            .collect();
        list.sort_by_key(|m| m.created_at);
        list
    }

    /// Creates a machine with a new secret key, reaching `scoped_machines` (which must exist).
    pub(crate) fn create_machine(
        &mut self,
        instance_id: &str,
        name: String,
        scoped_machines: Vec<String>,
        default_token_ttl: Option<i64>,
    ) -> Outcome<CreateMachineResponse> {
        if name.trim().is_empty() {
            return Err(Failure::unprocessable(
                "form_param_missing",
                "name must be given",
            ));
        }
        if default_token_ttl.is_some_and(|ttl| ttl < 1) {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "default_token_ttl must be at least 1 second",
            ));
        }
        for id in &scoped_machines {
            self.machine_record(id)?;
        }
        let now = self.tick();
        let machine = MachineWithoutScopedMachines {
            object: "machine".into(),
            id: object_id("mch"),
            name,
            instance_id: instance_id.to_owned(),
            created_at: now,
            updated_at: now,
            default_token_ttl: Some(default_token_ttl.unwrap_or(DEFAULT_M2M_TTL_SECS)),
        };
        let secret_key = format!("ak_{}", random_id(40));
        let id = machine.id.clone();
        self.machines.insert(
            id.clone(),
            MachineRecord {
                machine,
                secret_key: secret_key.clone(),
                previous_secret_key: None,
                scopes: scoped_machines.into_iter().collect(),
            },
        );
        let m = self.machine(&id)?;
        Ok(CreateMachineResponse {
            object: m.object,
            id: m.id,
            name: m.name,
            instance_id: m.instance_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            default_token_ttl: m.default_token_ttl,
            scoped_machines: m.scoped_machines,
            secret_key,
        })
    }

    pub(crate) fn update_machine(
        &mut self,
        machine_id: &str,
        name: Option<String>,
        default_token_ttl: Option<i64>,
    ) -> Outcome<Machine> {
        if default_token_ttl.is_some_and(|ttl| ttl < 1) {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "default_token_ttl must be at least 1 second",
            ));
        }
        let now = self.tick();
        let record = self
            .machines
            .get_mut(machine_id)
            .ok_or_else(|| Failure::not_found("machine"))?;
        if let Some(name) = name {
            record.machine.name = name;
        }
        if let Some(ttl) = default_token_ttl {
            record.machine.default_token_ttl = Some(ttl);
        }
        record.machine.updated_at = now;
        self.machine(machine_id)
    }

    /// Deletes a machine; other machines no longer reach it.
    pub(crate) fn delete_machine(&mut self, machine_id: &str) -> Outcome<DeleteMachineResponse> {
        self.machines
            .remove(machine_id)
            .ok_or_else(|| Failure::not_found("machine"))?;
        for record in self.machines.values_mut() {
            record.scopes.remove(machine_id);
        }
        Ok(DeleteMachineResponse {
            object: "machine".into(),
            id: machine_id.to_owned(),
            deleted: true,
        })
    }

    pub(crate) fn machine_secret_key(&self, machine_id: &str) -> Outcome<String> {
        Ok(self.machine_record(machine_id)?.secret_key.clone())
    }

    /// A new secret key for a machine; the previous one keeps working for
    /// `previous_token_ttl` seconds (0 to 28800, as Clerk allows).
    pub(crate) fn rotate_machine_secret_key(
        &mut self,
        machine_id: &str,
        previous_token_ttl: i64,
    ) -> Outcome<String> {
        if !(0..=28_800).contains(&previous_token_ttl) {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "previous_token_ttl must be between 0 and 28800 seconds",
            ));
        }
        let now = self.tick();
        let record = self
            .machines
            .get_mut(machine_id)
            .ok_or_else(|| Failure::not_found("machine"))?;
        let previous = std::mem::replace(&mut record.secret_key, format!("ak_{}", random_id(40)));
        record.previous_secret_key =
            (previous_token_ttl > 0).then(|| (previous, now + previous_token_ttl * 1000));
        record.machine.updated_at = now;
        Ok(record.secret_key.clone())
    }

    /// The machine whose secret key (or previous one, while it still works) this is.
    pub(crate) fn machine_by_secret_key(&self, secret_key: &str) -> Option<&str> {
        self.machines
            .values()
            .find(|r| {
                r.secret_key == secret_key
                    || r.previous_secret_key
                        .as_ref()
                        .is_some_and(|(key, until)| key == secret_key && *until > now_ms())
            })
            .map(|r| r.machine.id.as_str())
    }

    pub(crate) fn create_machine_scope(
        &mut self,
        from_machine_id: &str,
        to_machine_id: &str,
    ) -> Outcome<MachineScope> {
        self.machine_record(to_machine_id)?;
        let now = self.tick();
        let record = self
            .machines
            .get_mut(from_machine_id)
            .ok_or_else(|| Failure::not_found("machine"))?;
        if from_machine_id == to_machine_id {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "a machine cannot be scoped to itself",
            ));
        }
        record.scopes.insert(to_machine_id.to_owned());
        Ok(MachineScope {
            object: "machine_scope".into(),
            from_machine_id: from_machine_id.to_owned(),
            to_machine_id: to_machine_id.to_owned(),
            created_at: now,
        })
    }

    pub(crate) fn delete_machine_scope(
        &mut self,
        from_machine_id: &str,
        to_machine_id: &str,
    ) -> Outcome<DeleteMachineScopeResponse> {
        let now = self.tick();
        let record = self
            .machines
            .get_mut(from_machine_id)
            .ok_or_else(|| Failure::not_found("machine"))?;
        if !record.scopes.remove(to_machine_id) {
            return Err(Failure::not_found("machine scope"));
        }
        record.machine.updated_at = now;
        Ok(DeleteMachineScopeResponse {
            object: "machine_scope".into(),
            from_machine_id: from_machine_id.to_owned(),
            to_machine_id: to_machine_id.to_owned(),
            deleted: true,
        })
    }
}
