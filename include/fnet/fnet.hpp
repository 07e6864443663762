// fnet: header-only FNet encoder inference on Eigen + FFTW. Include this one header.
#pragma once

#include "fnet/activation.hpp"
#include "fnet/config.hpp"
#include "fnet/embeddings.hpp"
#include "fnet/encoder_block.hpp"
#include "fnet/error.hpp"
#include "fnet/feed_forward.hpp"
#include "fnet/fft.hpp"
#include "fnet/fourier_mixing.hpp"
#include "fnet/layer_norm.hpp"
#include "fnet/linear.hpp"
#include "fnet/load.hpp"
#include "fnet/model.hpp"
#include "fnet/parameter.hpp"
#include "fnet/tensor.hpp"
#include "fnet/workspace.hpp"
