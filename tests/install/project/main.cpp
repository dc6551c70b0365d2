// An astronomer's program using an installed galnet: one emission-line MLP, forward pass.
#include <galnet/galnet.hpp>
#include <galnet/models.hpp>
#include <iostream>

int main() {
  galnet::models::LineEWMLP<float> mlp;
  galnet::Tensor<float> x(galnet::Shape{4, 12}, 0.1f);
  const auto& y = mlp.forward(x);
  std::cout << "params " << galnet::nn::count_parameters(mlp) << " out " << y.shape() << "\n";
}
