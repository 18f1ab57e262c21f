//! Drilling in and going back along the breadcrumb, and jumping from the picker: the
//! moves that change what the panes are about.

use super::app::{App, Crumb, Overlay, Pane, RuleLine};
use super::keys::Command;
use super::picker::{PickItem, Picker, MAX_ADDRESSES};
use super::render::format::{cut_endpoint, cut_pair};
use super::worker::{QueryKind, TimelineSpec, TopList};
use crate::model::{proto, ConversationKey};
use crate::store::Store;

impl App {
    /// Enter: rule → its flows, flow → its conversation, address/port → its flows,
    /// conversation → its timeline, timeline step → its details.
    pub(super) fn drill_in(&mut self) -> bool {
        let (Some(store), Some(view), Some(summary)) = (
            self.store.clone(),
            self.view.as_ref(),
            self.summary.as_ref(),
        ) else {
            return false;
        };
        let cursor = self.cursor(self.focus).selected;
        match self.focus {
            Pane::Rules => {
                let lines = self.rule_lines();
                let Some(RuleLine::Rule(i)) = lines.get(cursor) else {
                    return false;
                };
                let hits = &summary.rules[*i];
                let mut c = clause("rule", &quote(&hits.rule));
                // The same rule name lives in many NSGs: keep to the one listed.
                if !hits.scope.is_empty() {
                    let is_nsg = self.vocabulary.nsgs.contains(&hits.scope);
                    let field = if is_nsg { "nsg" } else { "flowlog" };
                    c = format!("{c} and {}", clause(field, &quote(&hits.scope)));
                }
                let label = format!("rule {}", hits.rule);
                self.drill_to_filter(&label, &c);
            }
            Pane::Flows => {
                let Some(row) = view.rows.get(&store, cursor) else {
                    return false;
                };
                let key = store.conversation_key(row);
                self.push_crumb(conversation_label(&store, &key));
                self.show_timeline(Some(TimelineSpec::Conversation(key)));
                self.focus = Pane::Timeline;
            }
            // A list of the mode before, while this one is counted: nothing to drill into.
            Pane::Top if self.top_list().is_none() => return false,
            Pane::Top => match &summary.top {
                TopList::Entries(entries) => {
                    let (Some(e), Some(field)) = (entries.get(cursor), self.top_mode.field())
                    else {
                        return false;
                    };
                    let label = format!("{field} {}", e.key);
                    let c = clause(field.name(), &e.key);
                    self.drill_to_filter(&label, &c);
                }
                TopList::Conversations(convs) => {
                    let Some(c) = convs.get(cursor) else {
                        return false;
                    };
                    let key = c.key;
                    self.push_crumb(conversation_label(&store, &key));
                    self.show_timeline(Some(TimelineSpec::Conversation(key)));
                    self.focus = Pane::Timeline;
                }
            },
            Pane::Timeline => {
                let Some(row) = self.selected_row() else {
                    return false;
                };
                self.overlay = Overlay::Details(row);
            }
        }
        true
    }

    /// Backspace/Esc: back to what was shown before the last drill-in.
    pub(super) fn back(&mut self) -> bool {
        let Some(crumb) = self.crumbs.pop() else {
            return false;
        };
        let filter_changed = crumb.filter != self.filter.kept;
        self.filter.set(crumb.filter);
        self.focus = crumb.focus;
        self.show_timeline(crumb.timeline);
        if filter_changed {
            self.refresh();
        }
        true
    }

    /// Narrows the filter in force by `clause`, shows the flows and their hits over time.
    fn drill_to_filter(&mut self, label: &str, clause: &str) {
        self.push_crumb(label.to_string());
        let kept = self.filter.kept.trim();
        let text = if kept.is_empty() {
            clause.to_string()
        } else {
            format!("({kept}) and {clause}")
        };
        // The cursors go to the top, or where they were under this filter, as its answer
        // comes (`App::follow_filter`).
        self.filter.set(text.clone());
        self.focus = Pane::Flows;
        self.show_timeline(Some(TimelineSpec::Histogram {
            title: label.to_string(),
            filter: text,
        }));
        self.refresh();
    }

    /// A filter typed and kept while drilled in is one more step along the breadcrumb,
    /// as a saved filter picked is: Backspace goes back to what was shown before it, and
    /// hits over time follow it. (Else the crumbs went on naming the drill-in while the
    /// rows answered the typed filter, and Backspace dropped the typed filter.)
    pub(super) fn typed_filter(&mut self, before: String) {
        if self.crumbs.is_empty() || before == self.filter.kept {
            return;
        }
        let label = typed_label(&self.filter.kept);
        self.crumbs.push(Crumb {
            label: label.clone(),
            filter: before,
            focus: self.focus,
            timeline: self.timeline_spec.clone(),
        });
        if let Some(TimelineSpec::Histogram { .. }) = self.timeline_spec {
            let kept = self.filter.kept.clone();
            let spec = (!kept.is_empty()).then_some(TimelineSpec::Histogram {
                title: label,
                filter: kept,
            });
            self.show_timeline(spec);
        }
    }

    /// The typed filter `text` was refused after it was kept: the step `typed_filter`
    /// took for it is taken back.
    pub(super) fn untype_filter(&mut self, text: &str) {
        if self
            .crumbs
            .last()
            .is_some_and(|c| c.label == typed_label(text.trim()))
        {
            if let Some(crumb) = self.crumbs.pop() {
                self.show_timeline(crumb.timeline);
            }
        }
    }

    fn push_crumb(&mut self, label: String) {
        self.crumbs.push(Crumb {
            label,
            filter: self.filter.kept.clone(),
            focus: self.focus,
            timeline: self.timeline_spec.clone(),
        });
    }

    fn show_timeline(&mut self, spec: Option<TimelineSpec>) {
        self.timeline_spec = spec.clone();
        self.timeline = None;
        self.cursors[3] = Default::default();
        if let Some(spec) = spec {
            self.request(QueryKind::Timeline(spec));
        }
    }

    pub(super) fn open_picker(&mut self) {
        let v = &self.vocabulary;
        // Saved filters and rules first, the many addresses after: an empty query lists
        // the first of them, and ties keep this order.
        let items = self
            .settings
            .saved
            .iter()
            .map(|s| PickItem::Saved(s.clone()))
            .chain(v.rules.iter().map(|r| PickItem::Rule(r.clone())))
            .chain(
                v.addresses
                    .iter()
                    .take(MAX_ADDRESSES)
                    .map(|a| PickItem::Address(a.clone())),
            )
            .collect();
        self.overlay = Overlay::Picker(Box::new(Picker::new(items)));
    }

    pub(super) fn picker_command(&mut self, c: Command) -> bool {
        let Overlay::Picker(picker) = &mut self.overlay else {
            return false;
        };
        match c {
            Command::Up => picker.move_by(-1),
            Command::Down => picker.move_by(1),
            Command::Cancel => self.overlay = Overlay::None,
            Command::Accept => {
                let choice = picker.selected().cloned();
                self.overlay = Overlay::None;
                match choice {
                    Some(PickItem::Rule(r)) => {
                        self.drill_to_filter(&format!("rule {r}"), &clause("rule", &quote(&r)))
                    }
                    Some(PickItem::Address(a)) => {
                        self.drill_to_filter(&format!("ip {a}"), &clause("ip", &a))
                    }
                    Some(PickItem::Saved(f)) => {
                        self.push_crumb(format!("filter {f}"));
                        self.filter.set(f);
                        self.refresh();
                    }
                    None => {}
                }
            }
            _ => return false,
        }
        true
    }
}

/// The breadcrumb's label for a typed filter.
fn typed_label(filter: &str) -> String {
    match filter {
        "" => "no filter".to_string(),
        f => format!("filter {f}"),
    }
}

fn clause(field: &str, value: &str) -> String {
    format!("{field} == {value}")
}

/// A quoted filter string.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `203.0.113.9:51234 → 10.0.0.4:3389 tcp`
pub fn conversation_label(store: &Store, key: &ConversationKey) -> String {
    conversation_label_in(store, key, usize::MAX).0
}

/// `conversation_label` in at most `width` columns where it can be, and the fewest
/// characters of an address it keeps: the addresses are cut in their middle, the longer
/// first, so that both ports and the protocol stay (cut at its end, a label with a long
/// IPv6 destination lost its port).
pub fn conversation_label_in(
    store: &Store,
    key: &ConversationKey,
    width: usize,
) -> (String, usize) {
    let src = endpoint(&store.addrs().get(key.src), key.sport);
    let dst = endpoint(&store.addrs().get(key.dst), key.dport);
    let proto = proto::display(key.proto);
    let fixed = " → ".chars().count() + 1 + proto.chars().count();
    let cut = cut_pair(&src, &dst, width.saturating_sub(fixed));
    let label = format!(
        "{} → {} {proto}",
        cut_endpoint(&src, cut.src),
        cut_endpoint(&dst, cut.dst)
    );
    (label, cut.kept)
}

/// `10.0.0.4:3389`, `[2001:db8::1]:443`
pub fn endpoint(addr: &std::net::IpAddr, port: u16) -> String {
    match addr {
        std::net::IpAddr::V4(a) => format!("{a}:{port}"),
        std::net::IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}
