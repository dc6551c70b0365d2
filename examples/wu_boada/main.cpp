// wu_boada — Wu & Boada (2019): gas-phase metallicity from gri images with a ResNet-34 and
// fastai's head. Data: train.csv + images/{objID}.jpg (128 px); ImageNet normalisation; the 8
// dihedral views plus zoom up to 1.1; SGD with momentum 0.9 and SGDR (cosine annealing with warm
// restarts, cycles of 1, 2, 4… epochs); RMSE loss; batch 128. With --weights (e.g. an ImageNet
// body from tools/export_torch.py) the body is frozen for the first 2 epochs, as in the paper.
// --schedule one-cycle is the paper's other regimen: one cycle over all epochs (lr warming up
// from lr/25, momentum 0.95 → 0.85 → 0.95) with weight decay 1e-4. --optimizer adamw swaps SGD
// for fastai's default since v1 (AdamW, the cycled momentum as beta1): from scratch, the SGD
// steps that move the body are large enough to destabilise the head's output layer.
//   wu_boada train --data DIR [--target oh_p50 …] [--size 64] [--tta] [--schedule one-cycle] --out RUN
#include "recipe.hpp"

using namespace galnet;
using app::WuBoadaRecipe;

int main(int argc, char** argv) { return app::run<WuBoadaRecipe>(argc, argv); }
