#include "model/weight_binder.h"

#include <memory>

#include "model/quantize.h"
#include "model/tensor_names.h"

namespace turbine {
namespace {

Status tensor_error(const StoredTensor& t, const std::string& name, const std::string& what) {
  return invalid_argument(t.file + ": tensor " + name + ": " + what);
}

// The checks every bound tensor passes: present, a type turbine computes with, the exact shape.
Result<const StoredTensor*> find_checked(const TensorSpec& spec, TensorNaming naming, const TensorLookup& lookup,
                                         const std::string& missing_file) {
  const bool gguf = naming == TensorNaming::kGguf;
  const std::string& name = gguf ? spec.gguf_name : spec.hf_name;
  const StoredTensor* t = lookup(name);
  if (t == nullptr) return invalid_argument(missing_file + ": tensor " + name + ": missing");
  if (!t->dtype) return unsupported(t->file + ": tensor " + name + ": unsupported type " + t->type_name);
  const std::vector<int64_t> expected = gguf ? gguf_dims(spec.shape) : spec.shape;
  if (t->dims != expected)
    return tensor_error(*t, name, "expected shape " + shape_to_string(expected) + ", found " + shape_to_string(t->dims));
  return t;
}

// Matrices stay in the mapping. Data the format placed off its element alignment (safetensors
// only guarantees what the writer chose) is copied, so kernels may load whole elements.
Result<MatrixView> bind_matrix(const TensorSpec& spec, const std::string& name, const StoredTensor& t,
                               ModelWeights* w) {
  MatrixView m;
  m.dtype = *t.dtype;
  m.rows = spec.shape[0];
  m.cols = spec.shape[1];
  const int64_t block = dtype_traits(m.dtype).block_elems;
  if (m.cols % block != 0)
    return unsupported(t.file + ": tensor " + name + ": " + std::to_string(m.cols) + " columns are not a multiple of the " +
                       std::string(dtype_name(m.dtype)) + " block size " + std::to_string(block));
  if (t.num_bytes != uint64_t(m.num_bytes()))
    return tensor_error(t, name, "holds " + std::to_string(t.num_bytes) + " bytes, expected " + std::to_string(m.num_bytes()));
  const size_t align = m.dtype == DType::kF32 ? 4 : 2;  // f16/bf16 elements and blocks start with a u16
  if (reinterpret_cast<uintptr_t>(t.data) % align == 0) {
    m.data = t.data;
  } else {
    auto copy = std::make_shared<std::vector<uint8_t>>(t.data, t.data + t.num_bytes);
    m.data = copy->data();
    w->storage.push_back(std::move(copy));
  }
  return m;
}

Result<std::vector<float>> bind_vector(const std::string& name, const StoredTensor& t, int64_t n) {
  const DType dt = *t.dtype;
  if (n % dtype_traits(dt).block_elems != 0 || t.num_bytes != uint64_t(row_bytes(dt, n)))
    return tensor_error(t, name, "holds " + std::to_string(t.num_bytes) + " bytes of " + t.type_name +
                                     ", which is not " + std::to_string(n) + " elements");
  std::vector<float> out(static_cast<size_t>(n));
  dequantize_row(dt, t.data, n, out.data());  // reads unaligned data block by block
  return out;
}

MatrixView* matrix_slot(TensorRole role, ModelWeights& w, LayerWeights* l) {
  switch (role) {
    case TensorRole::kTokenEmbedding: return &w.token_embedding;
    case TensorRole::kOutput: return &w.output;
    case TensorRole::kWq: return &l->wq;
    case TensorRole::kWk: return &l->wk;
    case TensorRole::kWv: return &l->wv;
    case TensorRole::kWo: return &l->wo;
    case TensorRole::kWGate: return &l->w_gate;
    case TensorRole::kWUp: return &l->w_up;
    case TensorRole::kWDown: return &l->w_down;
    default: return nullptr;
  }
}

std::vector<float>* vector_slot(TensorRole role, ModelWeights& w, LayerWeights* l) {
  switch (role) {
    case TensorRole::kOutputNorm: return &w.output_norm;
    case TensorRole::kAttnNorm: return &l->attn_norm;
    case TensorRole::kBq: return &l->bq;
    case TensorRole::kBk: return &l->bk;
    case TensorRole::kBv: return &l->bv;
    case TensorRole::kQNorm: return &l->q_norm;
    case TensorRole::kKNorm: return &l->k_norm;
    case TensorRole::kFfnNorm: return &l->ffn_norm;
    default: return nullptr;
  }
}

}  // namespace

Result<BoundWeights> bind_weights(const ModelConfig& config, TensorNaming naming, const TensorLookup& lookup,
                                  const std::string& missing_file) {
  BoundWeights out;
  ModelWeights& w = out.weights;
  w.layers.resize(size_t(config.num_layers));
  for (const TensorSpec& spec : expected_tensors(config)) {
    const std::string& name = naming == TensorNaming::kGguf ? spec.gguf_name : spec.hf_name;
    TB_ASSIGN_OR_RETURN(const StoredTensor* t, find_checked(spec, naming, lookup, missing_file));
    LayerWeights* layer = spec.layer >= 0 ? &w.layers[size_t(spec.layer)] : nullptr;
    if (MatrixView* m = matrix_slot(spec.role, w, layer)) {
      TB_ASSIGN_OR_RETURN(*m, bind_matrix(spec, name, *t, &w));
    } else {
      std::vector<float>* v = vector_slot(spec.role, w, layer);
      TB_CHECK(v != nullptr, "tensor role without a slot");
      TB_ASSIGN_OR_RETURN(*v, bind_vector(name, *t, spec.shape[0]));
    }
    int64_t elems = 1;
    for (int64_t d : spec.shape) elems *= d;
    out.num_parameters += elems;
    ++out.tensors_by_dtype[std::string(dtype_name(*t->dtype))];
  }
  if (config.tied_embeddings) w.output = w.token_embedding;
  return out;
}

}  // namespace turbine
