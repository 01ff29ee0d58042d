// Portable integer-dot matmul panels for Q8_0 / Q4_0 (activations as q8_0) and Q4_K / Q6_K
// (activations as q8_k). Straight loops the compiler can vectorize; the reference for the
// SIMD versions.
#include "backend/cpu/kernels_generic.h"
#include "backend/cpu/kquant_scales.h"
#include "base/half.h"

namespace turbine::cpu::generic {
namespace {

// Dot of one weight row with activation row c, for each weight type.
float dot_q8_0(const BlockQ8_0* w, const int8_t* xq, const float* xd, int64_t nb) {
  float sum = 0.0f;
  for (int64_t b = 0; b < nb; ++b, xq += kQK) {
    int32_t isum = 0;
    for (int j = 0; j < kQK; ++j) isum += int32_t(w[b].qs[j]) * int32_t(xq[j]);
    sum += f16_to_f32(w[b].d) * xd[b] * float(isum);
  }
  return sum;
}

float dot_q4_0(const BlockQ4_0* w, const int8_t* xq, const float* xd, int64_t nb) {
  float sum = 0.0f;
  for (int64_t b = 0; b < nb; ++b, xq += kQK) {
    int32_t isum = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      isum += ((w[b].qs[j] & 0xF) - 8) * int32_t(xq[j]);
      isum += ((w[b].qs[j] >> 4) - 8) * int32_t(xq[j + kQK / 2]);
    }
    sum += f16_to_f32(w[b].d) * xd[b] * float(isum);
  }
  return sum;
}

// value = d * sc_j * q - dmin * m_j  =>  dot = d * sum_j sc_j * (q . x)_j - dmin * sum_j m_j *
// sum(x_j)
float dot_q4_k(const BlockQ4_K* w, const int8_t* xq, const float* xd, const int16_t* bsums,
               int64_t nb) {
  float sum = 0.0f;
  for (int64_t b = 0; b < nb; ++b, xq += kQK_K, bsums += kQK_K / 16) {
    int32_t sumi = 0, summ = 0;
    const uint8_t* q = w[b].qs;
    for (int j = 0; j < 8; j += 2, q += 32) {
      int sc0, m0, sc1, m1;
      q4_k_scale_min(j, w[b].scales, &sc0, &m0);
      q4_k_scale_min(j + 1, w[b].scales, &sc1, &m1);
      int32_t dot0 = 0, dot1 = 0;
      for (int l = 0; l < 32; ++l) {
        dot0 += (q[l] & 0xF) * int32_t(xq[j * 32 + l]);
        dot1 += (q[l] >> 4) * int32_t(xq[j * 32 + 32 + l]);
      }
      sumi += sc0 * dot0 + sc1 * dot1;
      summ += m0 * (bsums[2 * j] + bsums[2 * j + 1]) + m1 * (bsums[2 * j + 2] + bsums[2 * j + 3]);
    }
    sum += xd[b] * (f16_to_f32(w[b].d) * float(sumi) - f16_to_f32(w[b].dmin) * float(summ));
  }
  return sum;
}

// value = d * sc_g * (q - 32) for 16-element groups g  =>  dot = d * sum_g sc_g * ((q . x)_g - 32 *
// sum(x_g))
float dot_q6_k(const BlockQ6_K* w, const int8_t* xq, const float* xd, const int16_t* bsums,
               int64_t nb) {
  float sum = 0.0f;
  for (int64_t b = 0; b < nb; ++b, xq += kQK_K, bsums += kQK_K / 16) {
    int32_t group_dot[16] = {};
    const uint8_t* ql = w[b].ql;
    const uint8_t* qh = w[b].qh;
    for (int n = 0; n < kQK_K; n += 128, ql += 64, qh += 32) {
      const int8_t* x = xq + n;
      const int g = n / 16;
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        group_dot[g + is] += ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) * int32_t(x[l]);
        group_dot[g + is + 2] +=
            ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) * int32_t(x[l + 32]);
        group_dot[g + is + 4] += ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) * int32_t(x[l + 64]);
        group_dot[g + is + 6] +=
            ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) * int32_t(x[l + 96]);
      }
    }
    int32_t sumi = 0;
    for (int g = 0; g < 16; ++g) sumi += w[b].scales[g] * (group_dot[g] - 32 * bsums[g]);
    sum += xd[b] * f16_to_f32(w[b].d) * float(sumi);
  }
  return sum;
}

template <class Block, class Dot>
void panel_q8(const MatmulPanel& p, int64_t block_elems, Dot dot) {
  const int64_t nb = p.k / block_elems;
  for (int64_t r = 0; r < p.num_rows; ++r) {
    const auto* w = reinterpret_cast<const Block*>(p.w + r * p.w_stride);
    for (int64_t c = 0; c < p.n; ++c) {
      p.y[c * p.ldy + r] = dot(w, p.xq.qs + c * p.k, p.xq.d + c * nb, nb);
    }
  }
}

template <class Block, class Dot>
void panel_q8_k(const MatmulPanel& p, Dot dot) {
  const int64_t nb = p.k / kQK_K;
  for (int64_t r = 0; r < p.num_rows; ++r) {
    const auto* w = reinterpret_cast<const Block*>(p.w + r * p.w_stride);
    for (int64_t c = 0; c < p.n; ++c) {
      p.y[c * p.ldy + r] =
          dot(w, p.xq.qs + c * p.k, p.xq.d + c * nb, p.xq.bsums + c * (p.k / 16), nb);
    }
  }
}

}  // namespace

void matmul_q8_0(const MatmulPanel& p) { panel_q8<BlockQ8_0>(p, kQK, dot_q8_0); }
void matmul_q4_0(const MatmulPanel& p) { panel_q8<BlockQ4_0>(p, kQK, dot_q4_0); }
void matmul_q4_k(const MatmulPanel& p) { panel_q8_k<BlockQ4_K>(p, dot_q4_k); }
void matmul_q6_k(const MatmulPanel& p) { panel_q8_k<BlockQ6_K>(p, dot_q6_k); }

}  // namespace turbine::cpu::generic
