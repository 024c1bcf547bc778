#include "server/net/connection_limits.h"

namespace parley::net {

ConnectionLimits::ConnectionLimits(Limits limits)
    : limits_(limits), state_(std::make_shared<State>()) {
  state_->max_per_address = limits.max_per_address;
}

std::function<void()> ConnectionLimits::take_oldest_idle(State& s) {
  if (s.idle.empty()) return nullptr;
  auto it = s.idle.begin();
  std::function<void()> closer = std::move(it->closer);
  it->owner->shed_ = true;
  release(s, it, s.idle);
  // A connection without a closer yet still loses its place; it closes on its own soon.
  return closer ? closer : [] {};
}

void ConnectionLimits::release(State& s, std::list<Entry>::iterator it, std::list<Entry>& from) {
  if (it->address) {
    auto a = s.per_address.find(*it->address);
    if (a != s.per_address.end() && --a->second == 0) s.per_address.erase(a);
  }
  --s.total;
  from.erase(it);
}

ConnectionLimits::Admission ConnectionLimits::admit(const std::string& address) { return admit_as(address); }

ConnectionLimits::Admission ConnectionLimits::admit_unaddressed() { return admit_as(std::nullopt); }

ConnectionLimits::Admission ConnectionLimits::admit_as(std::optional<std::string> address) {
  Admission result;
  std::function<void()> shed;
  {
    std::lock_guard lock(state_->mu);
    State& s = *state_;
    if (address && limits_.max_per_address > 0) {
      auto a = s.per_address.find(*address);
      if (a != s.per_address.end() && a->second >= limits_.max_per_address) {
        result.refusal = Refusal::kAddressFull;
        return result;
      }
    }
    if (limits_.max_total > 0 && s.total >= limits_.max_total) {
      shed = take_oldest_idle(s);
      if (!shed) {
        result.refusal = Refusal::kServerFull;
        return result;
      }
      result.shed_one = true;
    }
    result.ticket.reset(new Ticket(state_));
    if (address) ++s.per_address[*address];
    s.idle.push_back(Entry{std::move(address), nullptr, result.ticket.get()});
    result.ticket->it_ = std::prev(s.idle.end());
    ++s.total;
  }
  if (shed) shed();
  return result;
}

bool ConnectionLimits::shed_oldest_idle() {
  std::function<void()> shed;
  {
    std::lock_guard lock(state_->mu);
    shed = take_oldest_idle(*state_);
  }
  if (!shed) return false;
  shed();
  return true;
}

std::size_t ConnectionLimits::open() const {
  std::lock_guard lock(state_->mu);
  return state_->total;
}

ConnectionLimits::Ticket::~Ticket() {
  std::lock_guard lock(state_->mu);
  if (!shed_) release(*state_, it_, idle_ ? state_->idle : state_->busy);
}

void ConnectionLimits::Ticket::set_idle(bool idle) {
  std::lock_guard lock(state_->mu);
  if (shed_ || idle == idle_) return;
  State& s = *state_;
  // Becoming idle puts the connection at the young end: the oldest idle is shed first.
  if (idle)
    s.idle.splice(s.idle.end(), s.busy, it_);
  else
    s.busy.splice(s.busy.end(), s.idle, it_);
  idle_ = idle;
}

void ConnectionLimits::Ticket::set_closer(std::function<void()> closer) {
  {
    std::lock_guard lock(state_->mu);
    if (!shed_) {
      it_->closer = std::move(closer);
      return;
    }
  }
  // Shed before it could be closed: close it now.
  if (closer) closer();
}

bool ConnectionLimits::Ticket::set_address(const std::string& address) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  if (shed_) return false;
  Entry& e = *it_;
  if (e.address == address) return true;
  if (s.max_per_address > 0) {
    auto a = s.per_address.find(address);
    if (a != s.per_address.end() && a->second >= s.max_per_address) return false;
  }
  if (e.address) {
    auto old = s.per_address.find(*e.address);
    if (old != s.per_address.end() && --old->second == 0) s.per_address.erase(old);
  }
  ++s.per_address[address];
  e.address = address;
  return true;
}

bool ConnectionLimits::Ticket::shed() const {
  std::lock_guard lock(state_->mu);
  return shed_;
}

}  // namespace parley::net
