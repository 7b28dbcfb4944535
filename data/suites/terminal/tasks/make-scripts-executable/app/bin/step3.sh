#!/bin/bash
echo three
