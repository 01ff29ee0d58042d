#include "frontend/local_serving.h"

namespace turbine {

std::string local_instance_id(const std::string& model) { return "local/" + model; }

LocalServing::~LocalServing() {
  for (const ModelCatalog::Entry& e : catalog_.list()) e.model->engine.reset();
}

Result<std::unique_ptr<LocalServing>> LocalServing::create(std::vector<std::shared_ptr<ServedModel>> models,
                                                           RouterOptions router_options) {
  std::unique_ptr<LocalServing> s(new LocalServing());
  if (!router_options.metrics) router_options.metrics = &s->metrics_->registry();
  TB_RETURN_IF_ERROR(router_options.validate());
  s->router_ = std::make_unique<Router>(std::move(router_options));
  for (auto& m : models) {
    Engine& engine = *m->engine;
    ModelCatalog::Entry entry{m, s->metrics_->add_model(m->name, &engine)};
    if (!s->catalog_.add(entry)) return invalid_argument("two models are named '" + m->name + "'");
    InstanceInfo info;
    info.id = local_instance_id(m->name);
    info.model = m->name;
    info.capacity = engine.max_num_seqs();
    info.block_size = engine.block_size();
    auto worker = std::make_shared<LocalWorker>(engine);
    s->workers_.push_back(worker);
    s->router_->add_instance(info, worker);
    // Engine thread: the router's index takes its own lock.
    engine.set_kv_event_observer([router = s->router_.get(), id = info.id](std::vector<KvEvent> events) {
      (void)router->apply_kv_events(id, events);
    });
  }
  return s;
}

}  // namespace turbine
