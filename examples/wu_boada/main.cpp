// wu_boada — Wu & Boada (2019): gas-phase metallicity from gri images with a ResNet-34 and
// fastai's head. Data: train.csv + images/{objID}.jpg (128 px); ImageNet normalisation; the 8
// dihedral views plus zoom up to 1.1; RMSE loss; batch 128.
// With --weights (e.g. an ImageNet body from tools/export_torch.py), the paper's fine-tuning:
// SGD with momentum 0.9 at lr 0.1 through fastai 0.7's fit calls — 2 epochs of per-epoch cosine
// annealing with the body frozen, unfreeze, 1 epoch, then SGDR cycles of 1, 2, 4 epochs (10 in
// all); --lr-body gives fastai's discriminative rates (lr = slice(lr_body, lr)).
// Without --weights there is no ImageNet body to fine-tune, and that regimen barely learns; the
// program then trains from scratch with AdamW (wd 0.01) and one-cycle to lr 3e-3 over 30 epochs,
// and says so. --optimizer and --schedule choose either regimen explicitly.
// evaluate and predict read the cutout size (--size), targets and normalisation from the model.
//   wu_boada train --data DIR [--target oh_p50 …] [--size 64] [--weights W [--lr-body 1e-3]] --out RUN
#include "recipe.hpp"

using namespace galnet;
using app::WuBoadaRecipe;

int main(int argc, char** argv) { return app::run<WuBoadaRecipe>(argc, argv); }
