// spin_cnn — the sdss_CNN Keras network for galaxy spin λ_R. Data: galaxies.csv (objID,
// lambda_re) + images/{objID}.jpg resized to 80 px, pixels / 255; rotation ±45°, zoom ±25 %,
// flips, shifts ±5 % (fill nearest); Adam lr 1e-3 with reduce-on-plateau (factor 0.2, patience
// 5, floor 1e-5); MSE; batch 32; 35 epochs; the paper's 70/15/15 split (--valid-pct 15
// --test-pct 15; train reports the test set in OUT/test/). --weights takes Keras weights
// converted by tools/export_keras.py.
#include "recipe.hpp"

using namespace galnet;
using app::SpinRecipe;

int main(int argc, char** argv) { return app::run<SpinRecipe>(argc, argv); }
