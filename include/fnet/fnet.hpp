// fnet: header-only FNet encoder inference on Eigen + FFTW. Include this one header.
#pragma once

// Core: configuration, errors, tensors, CPU dispatch, precision, per-thread memory.
#include "fnet/config.hpp"
#include "fnet/cpu.hpp"
#include "fnet/error.hpp"
#include "fnet/parameter.hpp"
#include "fnet/precision.hpp"
#include "fnet/tensor.hpp"
#include "fnet/workspace.hpp"

// Layers.
#include "fnet/nn/activation.hpp"
#include "fnet/nn/embeddings.hpp"
#include "fnet/nn/encoder_block.hpp"
#include "fnet/nn/feed_forward.hpp"
#include "fnet/nn/fft.hpp"
#include "fnet/nn/fourier_mixing.hpp"
#include "fnet/nn/layer_norm.hpp"
#include "fnet/nn/linear.hpp"

// Models: the encoder, every Hugging Face FNet head, loading by architecture.
#include "fnet/io/load.hpp"
#include "fnet/models/auto_model.hpp"
#include "fnet/models/lm_prediction_head.hpp"
#include "fnet/models/masked_lm.hpp"
#include "fnet/models/model.hpp"
#include "fnet/models/multiple_choice.hpp"
#include "fnet/models/next_sentence_prediction.hpp"
#include "fnet/models/pretraining.hpp"
#include "fnet/models/question_answering.hpp"
#include "fnet/models/sequence_classification.hpp"
#include "fnet/models/token_classification.hpp"

// Text and tasks.
#include "fnet/pipelines/classifier.hpp"
#include "fnet/pipelines/common.hpp"
#include "fnet/pipelines/feature_extraction.hpp"
#include "fnet/pipelines/fill_mask.hpp"
#include "fnet/pipelines/multiple_choice.hpp"
#include "fnet/pipelines/question_answering.hpp"
#include "fnet/pipelines/text_classification.hpp"
#include "fnet/pipelines/token_classification.hpp"
#include "fnet/pipelines/zero_shot_classification.hpp"
#include "fnet/text/tokenizer.hpp"
