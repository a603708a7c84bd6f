// Package auth holds apid's account security: password hashing with bcrypt
// (golang.org/x/crypto), access tokens as HS256 JWTs (golang-jwt/jwt/v5)
// with the algorithm pinned, the account rules (username and password
// shapes), and Secret, a string type that never prints its value.
package auth
