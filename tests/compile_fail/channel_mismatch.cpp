// Must NOT compile: the second convolution expects 32 channels, the first produces 16.
#include <galnet/galnet.hpp>

using Bad = galnet::nn::Sequential<galnet::nn::Conv2d<3, 16, 3>, galnet::nn::ReLU, galnet::nn::Conv2d<32, 8, 3>>;
galnet::nn::layer_t<Bad, float> model;
